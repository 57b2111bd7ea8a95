var __webpack_exports__ = {};
// Placeholder until the preflight action lands.


