# The Python side of an install (docs/INSTALL.md): the capture hook package
# `gradtap`, the plotting package `gtplots` with its entry gradtap_plots.py,
# and the notebooks. Each goes where a cache variable says, relative to the
# prefix:
#
#   GRADTAP_INSTALL_PYTHONDIR     the `gradtap` package
#                                 (cmake --install: share/gradtap/python; a wheel: .)
#   GRADTAP_INSTALL_PLOTSDIR      gradtap_plots.py and gtplots/
#                                 (cmake --install: share/gradtap/notebooks; a wheel: .)
#   GRADTAP_INSTALL_NOTEBOOKSDIR  the .ipynb files (share/gradtap/notebooks)
#
# pyproject.toml sets them (and CMAKE_INSTALL_LIBDIR/BINDIR) for the wheel.
# The installed package learns where the libraries are from _installed.py,
# written here with the path from the package to the library folder; the
# command learns where the plotting module is from GRADTAP_BIN_TO_PLOTS, the
# path from its own folder (see analysis/CMakeLists.txt).
set(GRADTAP_INSTALL_PYTHONDIR "${CMAKE_INSTALL_DATADIR}/gradtap/python" CACHE STRING
    "Where the gradtap Python package is installed, relative to the prefix")
set(GRADTAP_INSTALL_PLOTSDIR "${CMAKE_INSTALL_DATADIR}/gradtap/notebooks" CACHE STRING
    "Where gradtap_plots.py and gtplots/ are installed, relative to the prefix")
set(GRADTAP_INSTALL_NOTEBOOKSDIR "${CMAKE_INSTALL_DATADIR}/gradtap/notebooks" CACHE STRING
    "Where the notebooks are installed, relative to the prefix (or absolute)")

function(gradtap_relative_dir out from to)
  # both relative to one (any) prefix, so the result holds for every prefix
  file(RELATIVE_PATH relative "/prefix/${from}" "/prefix/${to}")
  if(relative STREQUAL "")
    set(relative ".")
  endif()
  set(${out} "${relative}" PARENT_SCOPE)
endfunction()

gradtap_relative_dir(GRADTAP_PACKAGE_TO_LIB "${GRADTAP_INSTALL_PYTHONDIR}/gradtap" "${CMAKE_INSTALL_LIBDIR}")
configure_file(${PROJECT_SOURCE_DIR}/capture/python/_installed.py.in
               ${PROJECT_BINARY_DIR}/python/_installed.py @ONLY)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/capture/python/gradtap DESTINATION ${GRADTAP_INSTALL_PYTHONDIR}
        COMPONENT python PATTERN __pycache__ EXCLUDE)
install(FILES ${PROJECT_BINARY_DIR}/python/_installed.py DESTINATION ${GRADTAP_INSTALL_PYTHONDIR}/gradtap
        COMPONENT python)
install(FILES ${PROJECT_SOURCE_DIR}/notebooks/gradtap_plots.py DESTINATION ${GRADTAP_INSTALL_PLOTSDIR}
        COMPONENT python)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/notebooks/gtplots DESTINATION ${GRADTAP_INSTALL_PLOTSDIR}
        COMPONENT python PATTERN __pycache__ EXCLUDE)
file(GLOB GRADTAP_NOTEBOOKS ${PROJECT_SOURCE_DIR}/notebooks/*.ipynb)
install(FILES ${GRADTAP_NOTEBOOKS} ${PROJECT_SOURCE_DIR}/notebooks/README.md
        DESTINATION ${GRADTAP_INSTALL_NOTEBOOKSDIR} COMPONENT python)
