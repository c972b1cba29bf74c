#!/usr/bin/env node
// The compiled CLI: `npm install` in a checkout builds it (prepare); a packed package ships it (prepack).
import "../dist/cli/main.js";
