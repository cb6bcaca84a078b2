# The soak benchmark (issue 16): a long fixed-rate stream through the fused pipeline, or
# through the services' own executables (--services, which it starts from this build).
add_executable(soak_bench ${CMAKE_CURRENT_LIST_DIR}/soak_bench.cc ${CMAKE_CURRENT_LIST_DIR}/soak_stages.cc)
target_link_libraries(soak_bench PRIVATE voc_bench_cpu voc::pipeline voc::gen voc::metrics voc::kafka voc::logging
                      voc::runtime CLI11::CLI11)
target_compile_definitions(soak_bench PRIVATE VOC_SOURCE_DIR="${PROJECT_SOURCE_DIR}" VOC_BINARY_DIR="${PROJECT_BINARY_DIR}")
# --services starts them: build them with it.
add_dependencies(soak_bench voc-ingest voc-enrich voc-aggregate)
