# `vocctl score` logic as a library, so the CLI and the tests share it.
# Included from tools/CMakeLists.txt.
add_library(voc_score STATIC ${CMAKE_CURRENT_LIST_DIR}/score.cc)
target_link_libraries(voc_score PUBLIC voc::text)
