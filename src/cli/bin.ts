#!/usr/bin/env node
// Entry point of the `recurrent` command.

import "../install_node.js";
import { main } from "./main.js";

process.exitCode = await main(process.argv);
