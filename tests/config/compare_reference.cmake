# ctest: the committed docs/config.md must be exactly what
# `dnswatch check-config --reference` prints (scripts/gen-docs rewrites it).
execute_process(COMMAND "${DNSWATCH}" check-config --reference OUTPUT_FILE "${OUT}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "dnswatch check-config --reference failed (${rc})")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" -E compare_files "${OUT}" "${DOC}" RESULT_VARIABLE differs)
if(differs)
  message(FATAL_ERROR "${DOC} differs from `dnswatch check-config --reference` (see ${OUT}); "
                      "run scripts/gen-docs and commit docs/config.md")
endif()
