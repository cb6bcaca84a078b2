# The soak benchmark (issue 16): a long fixed-rate stream through the fused pipeline.
add_executable(soak_bench ${CMAKE_CURRENT_LIST_DIR}/soak_bench.cc)
target_link_libraries(soak_bench PRIVATE voc_bench_cpu voc::pipeline voc::gen voc::metrics voc::kafka voc::logging
                      voc::runtime CLI11::CLI11)
