# `cpack -G DEB` in the build folder makes a Debian package of zoolab and zoolab-cli.
install(FILES ${PROJECT_SOURCE_DIR}/packaging/zoolab.desktop DESTINATION share/applications)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/org.zoolab.Zoolab.metainfo.xml DESTINATION share/metainfo)
install(FILES ${PROJECT_SOURCE_DIR}/resources/icons/zoolab.svg DESTINATION share/icons/hicolor/scalable/apps)
set(CPACK_PACKAGE_NAME zoolab)
set(CPACK_PACKAGE_VENDOR "zoolab")
set(CPACK_PACKAGE_CONTACT "zoolab developers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Workbench for studying recall in efficient language models (Zoology MQAR)")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Loaded as plugins, so shlibdeps cannot see them: the SVG icon engine (window icon) and the offscreen and
# xcb platforms come with these.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libqt6svg6, qt6-qpa-plugins")
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
include(CPack)
