# Regenerates src/pipeline/builtin_pipelines.cpp, which holds every pipeline in this folder as a
# raw string so that an installed `bosun` needs no files beside it. Run from the repository:
#   cmake -P src/pipeline/pipelines/embed.cmake
# The unit test Pipelines.BuiltinCopiesMatchTheirFiles fails when this was forgotten.
get_filename_component(dir "${CMAKE_CURRENT_LIST_DIR}" ABSOLUTE)
set(out "${dir}/../builtin_pipelines.cpp")
file(GLOB files "${dir}/*.yaml")
list(SORT files)
set(table "")
foreach(f ${files})
  get_filename_component(name "${f}" NAME_WE)
  file(READ "${f}" text)
  string(FIND "${text}" ")bosun_pipeline\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${f} contains the raw-string delimiter )bosun_pipeline\"")
  endif()
  string(APPEND table "    {\"${name}\", \"src/pipeline/pipelines/${name}.yaml\", R\"bosun_pipeline(${text})bosun_pipeline\"},\n")
endforeach()
file(WRITE "${out}"
"// Generated from src/pipeline/pipelines/*.yaml by src/pipeline/pipelines/embed.cmake; do not edit.
#include \"pipeline/pipeline.h\"

namespace bosun {
namespace {

// clang-format off
const BuiltinPipeline kFiles[] = {
${table}};
// clang-format on

}  // namespace

std::span<const BuiltinPipeline> builtin_pipelines() {
  return kFiles;
}

}  // namespace bosun
")
