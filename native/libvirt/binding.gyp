{
  "targets": [
    {
      "target_name": "tandem_libvirt",
      "sources": [
        "src/addon.cc",
        "src/common.cc",
        "src/connection.cc",
        "src/domain.cc",
        "src/snapshots.cc",
        "src/events.cc",
        "src/stream.cc",
        "src/stats.cc",
        "src/network.cc",
        "src/storage.cc",
        "src/volume.cc",
        "src/devices.cc"
      ],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "include_dirs": ["../common"],
      "defines": ["NAPI_VERSION=8"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wno-unused-parameter"],
      "libraries": ["-lvirt"]
    }
  ]
}
