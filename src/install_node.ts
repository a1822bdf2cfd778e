// Installs Node's host adapters into the host-neutral core: the file system behind every read and
// write, terminal progress for fit, and worker threads for data-parallel training. The package
// entry and the CLI import this; a browser does not.

import { useFileSystem } from "./io/fs.js";
import { nodeFileSystem } from "./node/fs.js";
import { setDefaultProgress } from "./models/progress.js";
import { terminalProgress } from "./cli/progress.js";
import "./node/threads.js";

useFileSystem(nodeFileSystem);
setDefaultProgress(terminalProgress());
