import pkg.tools

pkg.tools.tool()
