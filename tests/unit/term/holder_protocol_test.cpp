// Holder protocol: encode/decode round trips, frames split anywhere, and protocol errors.
#include "term/holder_protocol.h"

#include <gtest/gtest.h>

#include <csignal>
#include <vector>

namespace bosun::term {
namespace {

std::vector<Frame> decode_all(FrameDecoder& d) {
  std::vector<Frame> out;
  while (auto f = d.next())
    out.push_back(std::move(*f));
  return out;
}

Frame decode_one(const std::string& bytes) {
  FrameDecoder d;
  d.feed(bytes);
  auto frames = decode_all(d);
  EXPECT_EQ(frames.size(), 1u);
  EXPECT_FALSE(d.failed());
  EXPECT_EQ(d.buffered(), 0u);
  return frames.empty() ? Frame{} : frames[0];
}

HolderStatus sample_status() {
  HolderStatus s;
  s.pid = 4242;
  s.state = RunState::kExited;
  s.exit_code = 3;
  s.error = "cannot run 'x': No such file or directory";
  s.cols = 120;
  s.rows = 40;
  s.start_offset = 10;
  s.end_offset = (uint64_t{1} << 40) + 5;
  s.argv = {"bash", "-c", "exit 3", "\xC3\xA9"};
  s.cwd = "/tmp/w";
  s.started_at_ms = 1'800'000'000'000;
  s.ended_at_ms = 1'800'000'000'500;
  s.holder_pid = 4241;
  return s;
}

TEST(HolderProtocol, FrameLayoutIsLengthTypePayload) {
  std::string f = encode_frame(FrameType::kInput, "ab");
  EXPECT_EQ(f, std::string("\x00\x00\x00\x03\x02"
                           "ab",
                           7));
  EXPECT_EQ(encode_attach(0x0102030405060708),
            std::string("\x00\x00\x00\x09\x01\x01\x02\x03\x04\x05\x06\x07\x08", 13));
  EXPECT_EQ(encode_resize(0x0102, 0x0304), std::string("\x00\x00\x00\x05\x03\x01\x02\x03\x04", 9));
  EXPECT_EQ(encode_collect(), std::string("\x00\x00\x00\x01\x07", 5));
}

TEST(HolderProtocol, ClientMessagesRoundTrip) {
  auto attach = decode_one(encode_attach(987654321012345));
  EXPECT_EQ(attach.type, FrameType::kAttach);
  EXPECT_EQ(parse_attach(attach.payload).value(), 987654321012345u);

  auto input = decode_one(encode_input(std::string("ls\r\0\xFF", 5)));
  EXPECT_EQ(input.type, FrameType::kInput);
  EXPECT_EQ(input.payload, std::string("ls\r\0\xFF", 5));

  auto resize = decode_one(encode_resize(132, 43));
  EXPECT_EQ(resize.type, FrameType::kResize);
  EXPECT_EQ(parse_resize(resize.payload)->cols, 132);
  EXPECT_EQ(parse_resize(resize.payload)->rows, 43);

  auto sig = decode_one(encode_signal(SIGINT, SignalTarget::kTree));
  EXPECT_EQ(sig.type, FrameType::kSignal);
  EXPECT_EQ(parse_signal(sig.payload)->signo, SIGINT);
  EXPECT_EQ(parse_signal(sig.payload)->target, SignalTarget::kTree);
  EXPECT_EQ(parse_signal(decode_one(encode_signal(-7, SignalTarget::kForeground)).payload)->signo,
            -7);

  EXPECT_EQ(decode_one(encode_status_request()).type, FrameType::kStatus);
  auto stop = decode_one(encode_stop(0xFFFFFFFF));
  EXPECT_EQ(stop.type, FrameType::kStop);
  EXPECT_EQ(parse_stop(stop.payload).value(), 0xFFFFFFFFu);
  EXPECT_EQ(decode_one(encode_collect()).type, FrameType::kCollect);
}

TEST(HolderProtocol, HolderMessagesRoundTrip) {
  auto out = decode_one(encode_output(77, "bytes\x1b[0m"));
  EXPECT_EQ(out.type, FrameType::kOutput);
  auto chunk = parse_output(out.payload).value();
  EXPECT_EQ(chunk.offset, 77u);
  EXPECT_EQ(chunk.bytes, "bytes\x1b[0m");
  EXPECT_EQ(parse_output(decode_one(encode_output(5, "")).payload)->bytes, "");

  auto gap = decode_one(encode_gap(10, 20));
  EXPECT_EQ(gap.type, FrameType::kGap);
  EXPECT_EQ(parse_gap(gap.payload)->from, 10u);
  EXPECT_EQ(parse_gap(gap.payload)->to, 20u);

  auto err = decode_one(encode_error("boom"));
  EXPECT_EQ(err.type, FrameType::kError);
  EXPECT_EQ(err.payload, "boom");
}

TEST(HolderProtocol, StatusRoundTripsWithValuesAndNulls) {
  HolderStatus s = sample_status();
  auto reply = decode_one(encode_status_reply(s));
  EXPECT_EQ(reply.type, FrameType::kStatusReply);
  auto back = parse_status(reply.payload).value();
  EXPECT_EQ(back.pid, s.pid);
  EXPECT_EQ(back.state, RunState::kExited);
  EXPECT_EQ(back.exit_code, 3);
  EXPECT_EQ(back.signal, std::nullopt);
  EXPECT_EQ(back.error, s.error);
  EXPECT_EQ(back.cols, 120);
  EXPECT_EQ(back.rows, 40);
  EXPECT_EQ(back.start_offset, 10u);
  EXPECT_EQ(back.end_offset, s.end_offset);
  EXPECT_EQ(back.argv, s.argv);
  EXPECT_EQ(back.cwd, s.cwd);
  EXPECT_EQ(back.started_at_ms, s.started_at_ms);
  EXPECT_EQ(back.ended_at_ms, s.ended_at_ms);
  EXPECT_EQ(back.holder_pid, 4241);

  HolderStatus running;
  running.pid = 1;
  auto json = status_to_json(running);
  EXPECT_EQ(json["state"], "running");
  EXPECT_TRUE(json["exit_code"].is_null());
  EXPECT_TRUE(json["signal"].is_null());
  EXPECT_TRUE(json["error"].is_null());
  EXPECT_TRUE(json["ended_at_ms"].is_null());
  auto exited = decode_one(encode_exited(running));
  EXPECT_EQ(exited.type, FrameType::kExited);
  auto back2 = parse_status(exited.payload).value();
  EXPECT_EQ(back2.state, RunState::kRunning);
  EXPECT_FALSE(back2.exit_code.has_value());
}

TEST(HolderProtocol, MalformedPayloadsAreBadFrames) {
  EXPECT_EQ(parse_attach("1234567").error().code, "bad_frame");
  EXPECT_FALSE(parse_resize("12345"));
  EXPECT_FALSE(parse_signal("1234"));
  EXPECT_FALSE(parse_signal(std::string("\0\0\0\2\7", 5)));  // unknown target
  EXPECT_FALSE(parse_stop(""));
  EXPECT_FALSE(parse_output("1234567"));
  EXPECT_FALSE(parse_gap(std::string(15, '\0')));
  EXPECT_FALSE(parse_gap(encode_gap(20, 10).substr(5)));  // ends before it starts
  EXPECT_FALSE(parse_status("not json"));
  EXPECT_FALSE(parse_status("[]"));
  EXPECT_FALSE(parse_status(R"({"pid": 1})"));
  auto json = status_to_json(sample_status());
  json["state"] = "sleeping";
  EXPECT_FALSE(status_from_json(json));
  json = status_to_json(sample_status());
  json["cols"] = "wide";
  EXPECT_FALSE(status_from_json(json));
}

TEST(HolderProtocol, FramesSplitAtEveryByteDecodeTheSame) {
  std::string stream = encode_attach(5) + encode_input("hello") + encode_output(9, "xyz") +
                       encode_status_reply(sample_status()) + encode_collect() + encode_gap(1, 2);
  FrameDecoder whole;
  whole.feed(stream);
  auto expected = decode_all(whole);
  ASSERT_EQ(expected.size(), 6u);
  for (size_t i = 0; i <= stream.size(); ++i) {
    FrameDecoder d;
    d.feed(std::string_view(stream).substr(0, i));
    auto got = decode_all(d);
    d.feed(std::string_view(stream).substr(i));
    auto rest = decode_all(d);
    got.insert(got.end(), rest.begin(), rest.end());
    ASSERT_EQ(got.size(), expected.size()) << "split at " << i;
    for (size_t k = 0; k < got.size(); ++k) {
      EXPECT_EQ(got[k].type, expected[k].type);
      EXPECT_EQ(got[k].payload, expected[k].payload);
    }
    EXPECT_EQ(d.buffered(), 0u);
  }
  // And one byte at a time.
  FrameDecoder d;
  std::vector<Frame> got;
  for (char ch : stream) {
    d.feed(std::string_view(&ch, 1));
    auto some = decode_all(d);
    got.insert(got.end(), some.begin(), some.end());
  }
  EXPECT_EQ(got.size(), expected.size());
}

TEST(HolderProtocol, LargestFrameIsAccepted) {
  std::string payload(kMaxFrameBytes - 1, 'x');
  auto frame = decode_one(encode_input(payload));
  EXPECT_EQ(frame.payload.size(), kMaxFrameBytes - 1);
  std::string out(kMaxOutputBytes, 'y');
  auto chunk = decode_one(encode_output(1, out));
  EXPECT_EQ(parse_output(chunk.payload)->bytes.size(), kMaxOutputBytes);
}

// An idle connection keeps no large buffer: release() gives it back once every frame is out,
// and never drops a partial frame.
TEST(HolderProtocol, ReleaseKeepsAPartialFrameAndDropsAnEmptyBuffer) {
  FrameDecoder d;
  std::string big = encode_frame(FrameType::kOutput, std::string(100'000, 'x'));
  d.feed(std::string_view(big).substr(0, 50'000));
  d.release();
  EXPECT_EQ(d.buffered(), 50'000U);
  d.feed(std::string_view(big).substr(50'000));
  d.feed(encode_frame(FrameType::kOutput, "tail"));
  auto first = d.next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->payload, std::string(100'000, 'x'));
  d.release();  // "tail" is still buffered
  auto second = d.next();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->payload, "tail");
  EXPECT_EQ(d.buffered(), 0U);
  d.release();
  d.feed(encode_frame(FrameType::kOutput, "again"));
  auto third = d.next();
  ASSERT_TRUE(third);
  EXPECT_EQ(third->payload, "again");
}

TEST(HolderProtocol, OversizeFrameIsAProtocolError) {
  FrameDecoder d;
  std::string header("\x00\x10\x00\x01\x02", 5);  // N = 1 MiB + 1
  d.feed(header);
  EXPECT_FALSE(d.next().has_value());
  EXPECT_TRUE(d.failed());
  EXPECT_NE(d.error().find("exceeds"), std::string::npos);
  d.feed(encode_collect());  // nothing more is decoded once failed
  EXPECT_FALSE(d.next().has_value());
  EXPECT_TRUE(d.failed());
}

TEST(HolderProtocol, ZeroLengthFrameIsAProtocolError) {
  FrameDecoder d;
  d.feed(std::string("\0\0\0\0", 4));
  EXPECT_FALSE(d.next().has_value());
  EXPECT_TRUE(d.failed());
}

TEST(HolderProtocol, TextGarbageIsAProtocolError) {
  FrameDecoder d;
  d.feed("GET / HTTP/1.1\r\n\r\n");
  EXPECT_FALSE(d.next().has_value());
  EXPECT_TRUE(d.failed());
}

TEST(HolderProtocol, SmallerLimitIsHonoured) {
  FrameDecoder d(16);
  d.feed(encode_input(std::string(15, 'a')));
  EXPECT_TRUE(d.next().has_value());
  d.feed(encode_input(std::string(16, 'a')));
  EXPECT_FALSE(d.next().has_value());
  EXPECT_TRUE(d.failed());
}

TEST(HolderProtocol, UnknownTypesPassThroughTheDecoder) {
  auto frame = decode_one(encode_frame(static_cast<FrameType>(99), "future"));
  EXPECT_EQ(static_cast<int>(frame.type), 99);
  EXPECT_FALSE(is_known_frame_type(99));
  EXPECT_FALSE(is_known_frame_type(0));
  EXPECT_FALSE(is_known_frame_type(8));
  EXPECT_TRUE(is_known_frame_type(1));
  EXPECT_TRUE(is_known_frame_type(20));
  EXPECT_STREQ(frame_type_name(FrameType::kExited), "exited");
}

}  // namespace
}  // namespace bosun::term
