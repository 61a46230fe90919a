// Lifetime: the one way a callback that may run after its owner is gone finds out. The owner
// keeps a Lifetime; a callback (a timer's handler, a posted function, a coroutine that awaits)
// captures a Guard and checks alive() before it touches the owner.
#pragma once

#include <memory>

namespace bosun {

class Lifetime {
 public:
  class Guard {
   public:
    // False once the owner ended (or was destroyed).
    bool alive() const { return !token_.expired(); }

   private:
    friend class Lifetime;
    explicit Guard(std::weak_ptr<const int> token) : token_(std::move(token)) {}
    std::weak_ptr<const int> token_;
  };

  Lifetime() = default;
  Lifetime(const Lifetime&) = delete;
  Lifetime& operator=(const Lifetime&) = delete;

  Guard guard() const { return Guard(token_); }
  // Ends the owner's life before its destructor does (a stop): guards turn false at once.
  void end() { token_.reset(); }
  bool ended() const { return !token_; }

 private:
  std::shared_ptr<const int> token_ = std::make_shared<const int>(0);
};

}  // namespace bosun
