# Compiler settings shared by every gradtap target (our code only; never
# applied to dependencies): strict warnings as errors and the sanitizers
# chosen with GRADTAP_SANITIZE (e.g. "address,undefined").
function(gradtap_target_defaults target)
  get_target_property(_type ${target} TYPE)
  # Libraries export only what their public headers mark GTAP_API
  # (core/include/gradtap/export.h).
  if(_type MATCHES "LIBRARY")
    set_target_properties(${target} PROPERTIES C_VISIBILITY_PRESET hidden CUDA_VISIBILITY_PRESET hidden
                          VISIBILITY_INLINES_HIDDEN ON)
  endif()
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:C>:-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter>)
  if(GRADTAP_LIBFUZZER)  # coverage for libFuzzer (tests/fuzz/)
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:C>:-fsanitize=fuzzer-no-link>)
    if(NOT _type STREQUAL "OBJECT_LIBRARY")
      target_link_options(${target} PRIVATE -fsanitize=fuzzer-no-link)
    endif()
  endif()
  if(GRADTAP_SANITIZE)
    target_compile_options(${target} PRIVATE
      $<$<COMPILE_LANGUAGE:C>:-fsanitize=${GRADTAP_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all>)
    if(NOT _type STREQUAL "OBJECT_LIBRARY")
      target_link_options(${target} PRIVATE -fsanitize=${GRADTAP_SANITIZE})
    endif()
  endif()
endfunction()
