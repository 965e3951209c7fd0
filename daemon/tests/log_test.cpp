#include "daemon/log.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "daemon/tests/test_sinks.hpp"

namespace vigil::daemon {
namespace {

using testing::numbered;
using testing::RecordingSink;
using testing::SinkState;

TEST(Logger, WritesInOrder) {
  SinkState state;
  {
    Logger log(std::make_unique<RecordingSink>(state));
    log.error("one");
    log.warning("two");
    log.notice("three");
    log.info("four");
    log.flush();
    EXPECT_EQ(state.snapshot(), (std::vector<std::string>{"error: one", "warning: two",
                                                          "notice: three", "info: four"}));
  }
}

TEST(Logger, DebugOnlyWithDetail) {
  SinkState state;
  {
    Logger quiet(std::make_unique<RecordingSink>(state), {.max_level = LogLevel::info});
    EXPECT_FALSE(quiet.enabled(LogLevel::debug));
    quiet.debug("hidden");
    quiet.info("shown");
  }
  {
    Logger detailed(std::make_unique<RecordingSink>(state), {.max_level = LogLevel::debug});
    EXPECT_TRUE(detailed.enabled(LogLevel::debug));
    detailed.debug("detail");
  }
  EXPECT_EQ(state.snapshot(), (std::vector<std::string>{"info: shown", "debug: detail"}));
}

TEST(Logger, DestructorDrainsTheQueue) {
  SinkState state;
  {
    Logger log(std::make_unique<RecordingSink>(state));
    for (int i = 0; i < 100; ++i) log.info(numbered("m", i));
  }
  EXPECT_EQ(state.written(), 100u);
}

TEST(Logger, FullQueueDropsCountsAndReports) {
  SinkState state;
  state.close_gate();
  Logger log(std::make_unique<RecordingSink>(state), {.capacity = 4});
  log.info("first");
  // The writer holds "first" inside the sink; the queue is now empty and bounded at 4.
  ASSERT_TRUE(state.wait_entered(1));
  for (int i = 0; i < 10; ++i) log.info(numbered("m", i));
  EXPECT_EQ(log.dropped(), 6u);
  state.open_all();
  log.flush();
  EXPECT_EQ(state.snapshot(),
            (std::vector<std::string>{"info: first", "info: m0", "info: m1", "info: m2", "info: m3",
                                      "warning: 6 messages dropped (log queue full)"}));
  // The report is made once; the total stays.
  log.info("after");
  log.flush();
  EXPECT_EQ(state.snapshot().back(), "info: after");
  EXPECT_EQ(log.dropped(), 6u);
}

TEST(Logger, ProducerDoesNotWaitForAStuckSink) {
  SinkState state;
  state.close_gate();
  Logger log(std::make_unique<RecordingSink>(state), {.capacity = 16});
  log.info("stuck");
  ASSERT_TRUE(state.wait_entered(1));
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 10000; ++i) log.info("x");
  // Generous: only a mutex per call. A blocking logger would never get here at all.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(log.dropped(), 10000u - 16u);
  state.open_all();
}

// A line written late (the sink was stuck) still says when it was logged.
TEST(Logger, ALineCarriesTheTimeItWasLoggedNotWritten) {
  SinkState state;
  state.close_gate();
  Logger log(std::make_unique<RecordingSink>(state));
  log.info("first");
  ASSERT_TRUE(state.wait_entered(1));
  const auto before = std::chrono::system_clock::now();
  log.info("second");
  log.info("third");
  const auto after = std::chrono::system_clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  state.open_all();
  log.flush();
  ASSERT_EQ(state.snapshot().size(), 3u);
  std::lock_guard lock(state.mutex);
  EXPECT_LE(state.times[0], before);
  EXPECT_GE(state.times[1], before);
  EXPECT_LE(state.times[2], after);  // not the time of the write, 200 ms later
  EXPECT_LE(state.times[1], state.times[2]);
}

// Lines logged while the writer is busy are all written, though only the first of a burst
// wakes it.
TEST(Logger, ABurstLoggedWhileTheWriterWritesIsWrittenWhole) {
  SinkState state;
  state.close_gate();
  Logger log(std::make_unique<RecordingSink>(state));
  log.info("m0");
  ASSERT_TRUE(state.wait_entered(1));
  for (int i = 1; i < 100; ++i) log.info(numbered("m", i));
  state.open_all();
  log.flush();
  for (int i = 100; i < 200; ++i) log.info(numbered("m", i));
  log.flush();
  const auto lines = state.snapshot();
  ASSERT_EQ(lines.size(), 200u);
  for (int i = 0; i < 200; ++i) EXPECT_EQ(lines[i], "info: " + numbered("m", i));
}

// A deferred line does not wake the writer; the next line that does takes it along, in order.
TEST(Logger, ADeferredLineWaitsForTheNextWakeUp) {
  SinkState state;
  Logger log(std::make_unique<RecordingSink>(state));
  log.info("started");
  log.flush();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the writer asleep again
  log.log_deferred(LogLevel::notice, "received TERM");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(state.written(), 1u);  // nobody woke the writer
  log.info("entering STOP state");
  log.flush();
  EXPECT_EQ(state.snapshot(),
            (std::vector<std::string>{"info: started", "notice: received TERM", "info: entering STOP state"}));
}

// flush() (and so shutdown) does not wait forever on a line nobody woke the writer for.
TEST(Logger, FlushWritesADeferredLine) {
  SinkState state;
  Logger log(std::make_unique<RecordingSink>(state));
  log.log_deferred(LogLevel::notice, "alone");
  log.flush();
  EXPECT_EQ(state.snapshot(), (std::vector<std::string>{"notice: alone"}));
  log.log_deferred(LogLevel::notice, "and again");
  log.flush();
  EXPECT_EQ(state.snapshot().back(), "notice: and again");
}

}  // namespace
}  // namespace vigil::daemon
