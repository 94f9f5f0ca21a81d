"""Compiler options for coflow's own targets (never for third-party code)."""

COFLOW_WARNINGS = [
    "-Wall",
    "-Wextra",
    "-Wshadow",
    "-Wpedantic",
    "-Wnon-virtual-dtor",
    "-Woverloaded-virtual",
    "-Werror",
]
