voc_add_benchmark(text_bench SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/text_bench.cc LIBS voc::text)
