# The whole-pipeline benchmark (a program of its own: it times a pipeline, not a function).
add_executable(pipeline_bench ${CMAKE_CURRENT_LIST_DIR}/pipeline_bench.cc)
target_link_libraries(pipeline_bench PRIVATE voc_bench_cpu voc::pipeline voc::gen voc::metrics voc::kafka voc::proto voc::runtime
                      CLI11::CLI11)
