/**
 * Node test runner flags of both suites: a hung test fails after 15 minutes (every test ends in well
 * under that) instead of holding CI until its own limit, and a file whose tests are done exits even
 * if a leaked handle would keep it alive.
 */
export const TEST_LIMITS = ['--test-timeout=900000', '--test-force-exit'];
