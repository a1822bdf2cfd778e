#!/usr/bin/env node
// Entry point of the `recurrent` command.

import "../install_node.js";
import { main } from "./main.js";
import { exitQuietlyOnEpipe, reportFailure, wantsDebug } from "./errors.js";

const debug = wantsDebug(process.argv);
// `recurrent ... | head -1`: the reader leaving is no failure.
exitQuietlyOnEpipe(process.stdout, debug);
exitQuietlyOnEpipe(process.stderr, debug);
// A fault outside the command's own promise (a timer, a worker) still gets one paragraph and exit 1.
process.on("uncaughtException", (e) => process.exit(reportFailure(e, debug)));
process.on("unhandledRejection", (e) => process.exit(reportFailure(e, debug)));

process.exitCode = await main(process.argv);
