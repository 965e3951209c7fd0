#include "vrrpd/io/notify_fifo.hpp"

namespace vigil::vrrp::io {

std::string_view fifo_state_word(State s) {
  switch (s) {
    case State::master: return "MASTER";
    case State::backup: return "BACKUP";
    case State::fault: return "FAULT";
    case State::initialize: return "STOP";
  }
  return "UNKNOWN";
}

std::string fifo_line(FifoSubject subject, std::string_view name, State state, int priority) {
  std::string line = subject == FifoSubject::group ? "GROUP \"" : "INSTANCE \"";
  line.append(name);
  line += "\" ";
  line.append(fifo_state_word(state));
  line += ' ';
  line += std::to_string(priority);
  line += '\n';
  return line;
}

bool FifoQueue::push(std::string line) {
  if (lines_.size() >= max_lines_ || bytes_ + line.size() > max_bytes_) {
    ++dropped_;
    return false;
  }
  bytes_ += line.size();
  lines_.push_back(std::move(line));
  return true;
}

void FifoQueue::pop() {
  bytes_ -= lines_.front().size();
  lines_.pop_front();
}

}  // namespace vigil::vrrp::io
