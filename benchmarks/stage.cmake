voc_add_benchmark(stage_bench SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/stage_bench.cc
                  LIBS voc::ingest voc::enrich voc::aggregate voc::gen voc::kafka voc::state voc::proto
                  voc::runtime_config)
