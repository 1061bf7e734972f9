package serve

// HeavyBody is heavyBody, for the tests of Procs.
const HeavyBody = heavyBody
