"""coflow_dependencies(): what a Bazel workspace that uses coflow must declare, offline.

coflow builds with Debian's Bazel 4 and nothing downloaded: Bazel's own rule repositories are
replaced by small stand-ins kept in coflow's third_party/, and `platforms` comes from Debian's
bazel-platforms package. A workspace that uses coflow needs the same repositories, so its
WORKSPACE reads:

    local_repository(
        name = "coflow",
        path = "/path/to/coflow",
    )

    load("@coflow//bazel:deps.bzl", "coflow_dependencies")

    coflow_dependencies()

and its .bazelrc sets the language, which no cc_library attribute can pass on to its users:

    build --cxxopt=-std=c++20
    build --host_cxxopt=-std=c++20

Then `deps = ["@coflow//:coflow"]`. range-v3 and the other libraries coflow's targets bind are
Debian packages in /usr/include (librange-v3-dev), found by the compiler as they are.
"""

def coflow_dependencies(coflow_path = None, platforms_path = "/usr/share/bazel/platforms"):
    """Declares the repositories coflow needs, each only if the workspace has not already.

    Args:
      coflow_path: the path of coflow's source tree, as given to its local_repository. By
        default it is read from the repository named "coflow", which must be declared first
        (a WORKSPACE can load this file only after that anyway).
      platforms_path: where the `platforms` repository is: Debian's bazel-platforms package.
    """
    if coflow_path == None:
        coflow = native.existing_rule("coflow")
        if coflow == None or "path" not in coflow:
            fail("coflow_dependencies(): declare coflow with local_repository(name = \"coflow\", " +
                 "path = ...) first, or pass coflow_path")
        coflow_path = coflow["path"]

    # Offline stand-ins for the repositories that Bazel 4's built-in WORKSPACE suffix would
    # otherwise download.
    for name in ["rules_cc", "rules_java", "remote_coverage_tools"]:
        if native.existing_rule(name) == None:
            native.local_repository(
                name = name,
                path = coflow_path + "/third_party/" + name,
            )

    if native.existing_rule("platforms") == None:
        native.local_repository(
            name = "platforms",
            path = platforms_path,
        )
