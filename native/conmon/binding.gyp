{
  "targets": [
    {
      "target_name": "tandem_conmon",
      "sources": ["src/addon.cc", "src/fd_stream.cc", "src/unix_fd.cc"],
      "dependencies": [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"
      ],
      "include_dirs": ["../common"],
      "defines": ["NAPI_VERSION=8"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
