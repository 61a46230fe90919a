# Regenerates src/agent/builtin_profiles.cpp, which holds every profile in this folder as a
# raw string so that an installed `bosun` needs no files beside it. Run from the repository:
#   cmake -P src/agent/profiles/embed.cmake
# The unit test Profiles.BuiltinCopiesMatchTheirFiles fails when this was forgotten.
get_filename_component(dir "${CMAKE_CURRENT_LIST_DIR}" ABSOLUTE)
set(out "${dir}/../builtin_profiles.cpp")
file(GLOB files "${dir}/*.yaml")
list(SORT files)
set(table "")
foreach(f ${files})
  get_filename_component(name "${f}" NAME_WE)
  file(READ "${f}" text)
  string(FIND "${text}" ")bosun_profile\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${f} contains the raw-string delimiter )bosun_profile\"")
  endif()
  string(APPEND table "    {\"${name}\", \"src/agent/profiles/${name}.yaml\", R\"bosun_profile(${text})bosun_profile\"},\n")
endforeach()
file(WRITE "${out}"
"// Generated from src/agent/profiles/*.yaml by src/agent/profiles/embed.cmake; do not edit.
#include \"agent/profile.h\"

namespace bosun {
namespace {

// clang-format off
const EmbeddedFile kFiles[] = {
${table}};
// clang-format on

}  // namespace

std::span<const EmbeddedFile> builtin_profile_files() {
  return kFiles;
}

}  // namespace bosun
")
