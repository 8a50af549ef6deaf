// Run by the njs command-line engine: `njs -p dist test/njs/load-module.js`.
// Proves dist/mogilefs.js imports in the real engine and exports only handlers.
import mogilefs from "mogilefs.js";

var names = Object.keys(mogilefs);
var bad = names.filter((name) => typeof mogilefs[name] !== "function");
if (names.length === 0 || bad.length > 0) {
  console.log(`njs-module: FAIL handlers=${names.join(",")} not functions=${bad.join(",")}`);
} else {
  console.log(`njs-module: ok ${names.join(",")}`);
}
