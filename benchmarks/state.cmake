voc_add_benchmark(state_bench SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/state_bench.cc LIBS voc::state)
voc_add_benchmark(restore_bench SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/restore_bench.cc
                  LIBS voc::runtime voc::processor voc::kafka voc::metrics voc::state CLI11::CLI11)
