package handlers

// PurgeBatch is purgeBatch, for handlers_test.
const PurgeBatch = purgeBatch
