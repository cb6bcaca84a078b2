voc_add_benchmark(state_bench SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/state_bench.cc LIBS voc::state)
