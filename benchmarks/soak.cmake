# The soak benchmark (issue 16): a long fixed-rate stream through the fused pipeline, or
# through the services' own executables (--services, which it starts from this build).
add_executable(soak_bench ${CMAKE_CURRENT_LIST_DIR}/soak_bench.cc ${CMAKE_CURRENT_LIST_DIR}/soak_stages.cc)
target_link_libraries(soak_bench PRIVATE voc_bench_cpu voc::pipeline voc::gen voc::metrics voc::kafka voc::logging
                      voc::runtime CLI11::CLI11)
target_compile_definitions(soak_bench PRIVATE VOC_SOURCE_DIR="${PROJECT_SOURCE_DIR}" VOC_BINARY_DIR="${PROJECT_BINARY_DIR}")
# --services starts them: build them with it.
add_dependencies(soak_bench voc-ingest voc-enrich voc-aggregate)

# A short run of --services in the test suite: the services start from this build, their
# /metrics and /proc are read (every stage must drain what was fed, which only counters
# read back show), each one's peak RSS is reported against its budget, and its CPU per
# record split into its own threads', RocksDB's background threads' and the Kafka client's.
if(VOC_BUILD_TESTS)
  add_test(NAME bench.SoakServicesDrainAndReportEachServicesMemory
           COMMAND sh -c "out=$(\"$0\" \"$@\") || { echo \"$out\"; exit 1; }; echo \"$out\"; \
echo \"$out\" | grep -q 'every stage drained' && \
echo \"$out\" | grep -Eq '^enrich +peak RSS [1-9][0-9]* MiB of a 512 MiB budget' && \
echo \"$out\" | grep -Eq '^aggregate +peak RSS [1-9][0-9]* MiB of a 512 MiB budget' && \
echo \"$out\" | grep -Eq '^aggregate +us/rec first -> last: its own threads [0-9.]+ -> [0-9.]+ .*RocksDB background'"
                   $<TARGET_FILE:soak_bench> --services --records 3000 --rate 1000 --interval 1 --partitions 4
                   --customers 200 --drain-seconds 60)
  set_tests_properties(bench.SoakServicesDrainAndReportEachServicesMemory PROPERTIES TIMEOUT 240)
endif()
