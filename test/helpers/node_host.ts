// Tests import library modules directly rather than through the package entry, so install the Node
// host here exactly as src/index.ts and the CLI do (files, terminal progress).
import "../../src/install_node.js";
