#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <set>

#include "common/kafka/kafka.h"
#include "common/kafka/rdkafka_util.h"
#include "common/logging/logging.h"

namespace voc::kafka {
namespace {

using internal::HandlePtr;

struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const { rd_kafka_topic_partition_list_destroy(l); }
};
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

std::vector<TopicPartition> ToTopicPartitions(const rd_kafka_topic_partition_list_t* list) {
  std::vector<TopicPartition> out;
  out.reserve(list->cnt);
  for (int i = 0; i < list->cnt; ++i) out.push_back({list->elems[i].topic, PartitionId(list->elems[i].partition)});
  return out;
}

std::string_view HeaderValue(rd_kafka_message_t* msg, const char* name) {
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(msg, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) return {};
  const void* value = nullptr;
  size_t size = 0;
  if (rd_kafka_header_get_last(headers, name, &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR || value == nullptr) {
    return {};
  }
  return {static_cast<const char*>(value), size};
}

// librdkafka before 2.3.0 aborts the process when it destroys a member of a group with a
// sticky assignor that joined the group but never received an assignment (librdkafka
// issue #4312: the assignor's state is still null when the group handler is freed).
bool DestroyAbortsWithoutAssignment() { return rd_kafka_version() < 0x020300ff; }

// Ends a handle that cannot be destroyed: one whose close did not finish (rd_kafka_destroy
// would wait for it without end) or one rd_kafka_destroy would abort on. librdkafka's
// threads are told to stop without being waited for, and the group handler is never
// freed. The handle's memory stays with the process, reachable from here so that leak
// checkers keep quiet; a member that did not leave is dropped by the group when its
// session times out.
void Abandon(HandlePtr handle, const std::string& group, const std::string& why) {
  // rd_kafka_destroy_flags' internal "immediate" flag, which is not in the public header;
  // its value and meaning are the same from librdkafka 1.0 to 2.x.
  constexpr int kDestroyImmediate = 0x4;
  static std::mutex mu;
  static auto* abandoned = new std::vector<rd_kafka_t*>();
  logging::Log(logging::Level::kWarn,
               (group.empty() ? std::string("consumer") : "consumer of group " + group) + " " + why +
                   ": its Kafka client is released without being destroyed",
               {{"client", rd_kafka_name(handle.get())}});
  rd_kafka_t* rk = handle.release();
  rd_kafka_destroy_flags(rk, kDestroyImmediate);
  std::lock_guard lock(mu);
  abandoned->push_back(rk);
}

}  // namespace

RecordBatch::~RecordBatch() { Clear(); }

void RecordBatch::Clear() {
  for (void* m : messages_) rd_kafka_message_destroy(static_cast<rd_kafka_message_t*>(m));
  messages_.clear();
  records_.clear();
}

class ConsumerImpl final : public Consumer {
 public:
  explicit ConsumerImpl(ConsumerOptions options) : options_(std::move(options)) {}

  ~ConsumerImpl() override {
    // An owner that skipped Close (an early return, an exception) still has its member
    // leave the group, which runs the rebalance callback: it must find this object whole,
    // and must not call back into an owner that may be half destroyed itself.
    destroying_ = true;
    if (!rk_) return;
    if (!close_requested_) StartClose().ok();
    const bool closed = ServeClose(std::chrono::steady_clock::now() + std::chrono::seconds(10));
    if (close_queue_ != nullptr) rd_kafka_queue_destroy(close_queue_);
    if (queue_ != nullptr) rd_kafka_queue_destroy(queue_);
    if (!closed) {
      Abandon(std::move(rk_), options_.group_id, "did not finish leaving the group");
    } else if (sticky_ && !synced_ && DestroyAbortsWithoutAssignment()) {
      Abandon(std::move(rk_), options_.group_id,
              "stops before the group gave it an assignment (librdkafka before 2.3.0 aborts when it destroys "
              "such a member, its issue #4312)");
    }
  }

  Status Init() {
    Properties defaults = {
        {"bootstrap.servers", options_.client.bootstrap_servers},
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"enable.partition.eof", "false"},
        // An offset that fell off the log is an error we report, never a silent jump.
        {"auto.offset.reset", "error"},
        {"partition.assignment.strategy", "cooperative-sticky"},
        // librdkafka's default (45 s) is above what brokers before Kafka 2.3 accept (30 s):
        // such a broker refuses every JoinGroup. 10 s, the Java client's default before 3.0,
        // suits every broker version.
        {"session.timeout.ms", "10000"},
        {"fetch.wait.max.ms", "50"},
        {"socket.nagle.disable", "true"},
        // The pre-fetch buffer is bounded by queued.max.messages.kbytes (for the whole
        // consumer), not by a per-partition count: a partition that reaches the count stops
        // being fetched, and librdkafka resumes it only on its next fetch cycle, which
        // stalled a hot partition for up to half a second at a time.
        {"queued.min.messages", "10000000"},
        {"fetch.message.max.bytes", "16777216"},
        {"receive.message.max.bytes", "67108864"},
    };
    // librdkafka will not assign without a group id, even when it never joins the group.
    defaults["group.id"] = options_.group_id.empty() ? "voc-unjoined-reader" : options_.group_id;
    auto conf = internal::MakeConf({&defaults, &options_.client.properties, &options_.properties});
    if (!conf.ok()) return conf.status();
    char strategy[128] = "";
    size_t strategy_size = sizeof strategy;
    rd_kafka_conf_get(conf->get(), "partition.assignment.strategy", strategy, &strategy_size);
    sticky_ = !options_.group_id.empty() && std::strstr(strategy, "sticky") != nullptr;
    rd_kafka_conf_set_opaque(conf->get(), this);
    if (options_.on_statistics) rd_kafka_conf_set_stats_cb(conf->get(), &ConsumerImpl::StatisticsCallback);
    if (!options_.group_id.empty()) {
      rd_kafka_conf_set_rebalance_cb(conf->get(), &ConsumerImpl::RebalanceCallback);
      rd_kafka_conf_set_offset_commit_cb(conf->get(), &ConsumerImpl::CommitCallback);
    }
    auto handle = internal::MakeHandle(RD_KAFKA_CONSUMER, std::move(conf).value());
    if (!handle.ok()) return handle.status();
    rk_ = std::move(handle).value();
    rd_kafka_poll_set_consumer(rk_.get());
    queue_ = rd_kafka_queue_get_consumer(rk_.get());

    if (options_.group_id.empty()) return AssignAll();
    PartitionListPtr topics(rd_kafka_topic_partition_list_new(static_cast<int>(options_.topics.size())));
    for (const auto& t : options_.topics) rd_kafka_topic_partition_list_add(topics.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
    if (auto err = rd_kafka_subscribe(rk_.get(), topics.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Status::Unavailable(std::string("cannot subscribe: ") + rd_kafka_err2str(err));
    }
    return Status::Ok();
  }

  Status Poll(size_t max_records, std::chrono::milliseconds timeout, RecordBatch* batch) override {
    if (max_records == 0) return Status::Ok();
    scratch_.resize(max_records);
    auto** slots = reinterpret_cast<rd_kafka_message_t**>(scratch_.data());
    // Take what is already queued without waiting; only an empty queue waits, and only
    // for its first record: a batch call with a timeout would wait the whole timeout
    // unless the batch filled, which puts the wait on every batch of a busy stream.
    ssize_t n = rd_kafka_consume_batch_queue(queue_, 0, slots, max_records);
    if (n == 0) {
      if (rd_kafka_message_t* first = rd_kafka_consume_queue(queue_, static_cast<int>(timeout.count()))) {
        slots[0] = first;
        ssize_t more = rd_kafka_consume_batch_queue(queue_, 0, slots + 1, max_records - 1);
        n = more < 0 ? more : more + 1;
        if (more < 0) rd_kafka_message_destroy(first);
      }
    }
    if (n < 0) return Status::Unavailable(std::string("consume failed: ") + rd_kafka_err2str(rd_kafka_last_error()));
    Status status;
    last_topic_ = nullptr;  // a rebalance may have run inside the calls above
    fell_off_.clear();
    for (ssize_t i = 0; i < n; ++i) {
      auto* msg = static_cast<rd_kafka_message_t*>(scratch_[i]);
      if (msg->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET && msg->rkt != nullptr) {
        fell_off_.emplace(TopicPartition{rd_kafka_topic_name(msg->rkt), PartitionId(msg->partition)}, msg->offset);
        rd_kafka_message_destroy(msg);
        continue;
      }
      if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        Status s = HandleError(msg);
        if (!s.ok() && status.ok()) status = s;
        rd_kafka_message_destroy(msg);
        continue;
      }
      // A record fetched just before its partition was revoked belongs to the new owner.
      // Records come in runs of one partition: the assignment is looked up once per run.
      if (msg->rkt != last_topic_ || msg->partition != last_partition_) {
        last_topic_ = msg->rkt;
        last_partition_ = msg->partition;
        last_assigned_ = assigned_.contains(TopicPartition{rd_kafka_topic_name(msg->rkt), PartitionId(msg->partition)});
      }
      if (!last_assigned_) {
        rd_kafka_message_destroy(msg);
        continue;
      }
      batch->messages_.push_back(msg);
      batch->records_.push_back(Record{
          .topic = rd_kafka_topic_name(msg->rkt),
          .partition = PartitionId(msg->partition),
          .offset = Offset(msg->offset),
          .key = {static_cast<const char*>(msg->key), msg->key_len},
          .value = {static_cast<const char*>(msg->payload), msg->len},
          .timestamp_ms = rd_kafka_message_timestamp(msg, nullptr),
          .content_type = options_.read_content_type ? HeaderValue(msg, "content-type") : std::string_view(),
      });
    }
    if (!fell_off_.empty()) {
      Status s = ResumeAtLogStarts();
      if (!s.ok() && status.ok()) status = s;
    }
    return status;
  }

  Status Commit(const std::vector<std::pair<TopicPartition, Offset>>& next_offsets) override {
    if (options_.group_id.empty()) return Status::Ok();
    for (const auto& [tp, offset] : next_offsets) {
      if (!assigned_.contains(tp)) continue;
      Offset& pending = uncommitted_[tp];
      pending = std::max(pending, offset);
    }
    if (uncommitted_.empty()) return Status::Ok();
    // Every offset not yet confirmed goes again: an asynchronous commit that failed (a
    // rebalance in progress, a coordinator moving) would otherwise leave the group's offset
    // behind for as long as its partition gets no new record.
    PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(uncommitted_.size())));
    for (const auto& [tp, offset] : uncommitted_) {
      rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition.value)->offset = offset.value;
    }
    auto err = rd_kafka_commit(rk_.get(), list.get(), /*async=*/1);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return Status::Unavailable(std::string("commit: ") + rd_kafka_err2str(err));
    return Status::Ok();
  }

  std::vector<TopicPartition> Assignment() override { return {assigned_.begin(), assigned_.end()}; }

  std::vector<PartitionLag> Lag() override {
    std::vector<PartitionLag> out;
    if (assigned_.empty()) return out;
    PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(assigned_.size())));
    for (const auto& tp : assigned_) rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition.value);
    if (rd_kafka_position(rk_.get(), list.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) return out;
    for (int i = 0; i < list->cnt; ++i) {
      const auto& e = list->elems[i];
      int64_t low = 0, high = 0;
      if (e.offset < 0) continue;
      if (rd_kafka_get_watermark_offsets(rk_.get(), e.topic, e.partition, &low, &high) != RD_KAFKA_RESP_ERR_NO_ERROR ||
          high < 0) {
        continue;
      }
      out.push_back({{e.topic, PartitionId(e.partition)}, std::max<int64_t>(0, high - e.offset)});
    }
    return out;
  }

  std::optional<Offset> Committed(const TopicPartition& tp, std::chrono::milliseconds timeout) override {
    if (options_.group_id.empty()) return std::nullopt;
    PartitionListPtr list(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition.value);
    if (rd_kafka_committed(rk_.get(), list.get(), static_cast<int>(timeout.count())) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        list->elems[0].offset < 0) {
      return std::nullopt;
    }
    return Offset(list->elems[0].offset);
  }

  Result<std::pair<Offset, Offset>> Watermarks(const TopicPartition& tp, std::chrono::milliseconds timeout) override {
    return internal::Watermarks(rk_.get(), tp, timeout);
  }

  Status Close(std::chrono::milliseconds timeout) override {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    if (!close_requested_) {
      AwaitFirstAssignment(std::min(deadline, std::chrono::steady_clock::now() + std::chrono::seconds(10)));
      VOC_RETURN_IF_ERROR(StartClose());
    }
    if (!ServeClose(deadline)) return Status::Timeout("consumer did not leave the group in time");
    return Status::Ok();
  }

 private:
  static void RebalanceCallback(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
                                void* opaque) {
    static_cast<ConsumerImpl*>(opaque)->OnRebalance(err, parts);
  }

  static int StatisticsCallback(rd_kafka_t*, char* json, size_t len, void* opaque) {
    static_cast<ConsumerImpl*>(opaque)->options_.on_statistics(std::string_view(json, len));
    return 0;  // librdkafka frees json
  }

  // Served inside Poll: a confirmed offset is forgotten, a failed one is sent again by the
  // next Commit.
  static void CommitCallback(rd_kafka_t*, rd_kafka_resp_err_t, rd_kafka_topic_partition_list_t* offsets,
                             void* opaque) {
    auto* self = static_cast<ConsumerImpl*>(opaque);
    for (int i = 0; offsets != nullptr && i < offsets->cnt; ++i) {
      const auto& e = offsets->elems[i];
      if (e.err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
      auto it = self->uncommitted_.find(TopicPartition{e.topic, PartitionId(e.partition)});
      if (it != self->uncommitted_.end() && it->second.value <= e.offset) self->uncommitted_.erase(it);
    }
  }

  // Leaving the group runs on librdkafka's threads; its rebalance events come on a queue
  // of their own, served by ServeClose until the group handler has finished. A close that
  // times out is still under way: the destructor goes on serving the same queue (a second
  // close would wait without end for a reply that goes to the first).
  Status StartClose() {
    close_requested_ = true;
    close_queue_ = rd_kafka_queue_new(rk_.get());
    if (rd_kafka_error_t* error = rd_kafka_consumer_close_queue(rk_.get(), close_queue_)) {
      Status status = Status::Unavailable(std::string("close: ") + rd_kafka_error_string(error));
      rd_kafka_error_destroy(error);
      rd_kafka_queue_destroy(close_queue_);
      close_queue_ = nullptr;
      return status;
    }
    return Status::Ok();
  }

  // Whether the close has finished by the deadline; true when there is none under way
  // (it never started, e.g. after a fatal error, and destroying needs no wait).
  bool ServeClose(std::chrono::steady_clock::time_point deadline) {
    if (close_queue_ == nullptr) return true;
    while (!rd_kafka_consumer_closed(rk_.get()) && internal::RemainingMs(deadline) > 0) {
      rd_kafka_event_t* ev = rd_kafka_queue_poll(close_queue_, std::min(100, internal::RemainingMs(deadline)));
      if (ev == nullptr) continue;
      if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_REBALANCE) {
        OnRebalance(rd_kafka_event_error(ev), rd_kafka_event_topic_partition_list(ev));
      }
      rd_kafka_event_destroy(ev);
    }
    return rd_kafka_consumer_closed(rk_.get());
  }

  // A sticky member that never received an assignment cannot be destroyed with
  // librdkafka before 2.3.0 (see DestroyAbortsWithoutAssignment), e.g. an instance
  // stopped during its first rebalance; the destructor abandons its client, which then
  // stays in the group until its session times out. To leave cleanly instead, such a
  // member lets its join finish first, without taking any record or telling its owner of
  // partitions it holds only for the moment. One that has no member id after a moment
  // never joined (a broker down or refusing it) and stops without waiting longer.
  void AwaitFirstAssignment(std::chrono::steady_clock::time_point deadline) {
    if (!sticky_ || synced_ || !DestroyAbortsWithoutAssignment()) return;
    closing_ = true;
    const auto grace = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    const auto joined = [this] {
      char* id = rd_kafka_memberid(rk_.get());
      const bool has_id = id != nullptr && *id != '\0';
      if (id != nullptr) rd_kafka_mem_free(rk_.get(), id);
      return has_id;
    };
    while (!synced_ && internal::RemainingMs(deadline) > 0 && (std::chrono::steady_clock::now() < grace || joined())) {
      if (rd_kafka_message_t* m = rd_kafka_consume_queue(queue_, std::min(100, internal::RemainingMs(deadline)))) {
        rd_kafka_message_destroy(m);
      }
    }
  }

  void OnRebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts) {
    const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk_.get()), "COOPERATIVE") == 0;
    const bool assign = err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS;
    synced_ = synced_ || assign;
    if (destroying_ || closing_) {  // held only until the close under way ends: nobody is told
      rd_kafka_error_t* e = nullptr;
      if (!cooperative) {
        rd_kafka_assign(rk_.get(), assign ? parts : nullptr);
      } else {
        e = assign ? rd_kafka_incremental_assign(rk_.get(), parts) : rd_kafka_incremental_unassign(rk_.get(), parts);
      }
      if (e != nullptr) rd_kafka_error_destroy(e);
      return;
    }
    auto tps = ToTopicPartitions(parts);
    if (assign) {
      SetStartOffsets(parts);
      if (options_.on_assigned) options_.on_assigned(tps);
      assigned_.insert(tps.begin(), tps.end());
      if (cooperative) {
        if (rd_kafka_error_t* e = rd_kafka_incremental_assign(rk_.get(), parts)) rd_kafka_error_destroy(e);
      } else {
        rd_kafka_assign(rk_.get(), parts);
      }
      return;
    }
    // Revoked or lost: the runtime has already checkpointed every finished batch, since
    // rebalances only run inside Poll, between batches. The owner hears only of
    // partitions it was told it had.
    std::erase_if(tps, [this](const TopicPartition& tp) { return !assigned_.contains(tp); });
    if (options_.on_revoked && !tps.empty()) options_.on_revoked(tps);
    for (const auto& tp : tps) {
      assigned_.erase(tp);
      uncommitted_.erase(tp);  // the new owner commits it
      restarted_at_.erase(tp);
    }
    if (cooperative) {
      if (rd_kafka_error_t* e = rd_kafka_incremental_unassign(rk_.get(), parts)) rd_kafka_error_destroy(e);
    } else {
      rd_kafka_assign(rk_.get(), nullptr);
      assigned_.clear();
      uncommitted_.clear();
      restarted_at_.clear();
    }
  }

  // Stored state wins; else the group's committed offset; else the log's start. A start
  // from stored state goes to the group with the next Commit, whether or not a record
  // follows: the group may hold an older offset (the commit that carried the newer one
  // failed in a rebalance, or the state came from a changelog), and would otherwise show
  // a lag that never drains on a partition that gets no new record.
  void SetStartOffsets(rd_kafka_topic_partition_list_t* parts) {
    bool need_committed = false;
    for (int i = 0; i < parts->cnt; ++i) {
      auto& e = parts->elems[i];
      const TopicPartition tp{e.topic, PartitionId(e.partition)};
      std::optional<Offset> start;
      if (options_.start_offset) start = options_.start_offset(tp);
      e.offset = start ? start->value : RD_KAFKA_OFFSET_INVALID;
      need_committed |= !start.has_value();
      if (start && start->value > 0 && !options_.group_id.empty()) {
        Offset& pending = uncommitted_[tp];
        pending = std::max(pending, *start);
      }
    }
    if (need_committed && !options_.group_id.empty()) {
      PartitionListPtr committed(rd_kafka_topic_partition_list_copy(parts));
      if (rd_kafka_committed(rk_.get(), committed.get(), 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        for (int i = 0; i < parts->cnt; ++i) {
          if (parts->elems[i].offset == RD_KAFKA_OFFSET_INVALID) parts->elems[i].offset = committed->elems[i].offset;
        }
      }
    }
    for (int i = 0; i < parts->cnt; ++i) {
      if (parts->elems[i].offset < 0 && parts->elems[i].offset != RD_KAFKA_OFFSET_END) {
        parts->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
      }
    }
  }

  Status AssignAll() {
    PartitionListPtr list(rd_kafka_topic_partition_list_new(8));
    for (const auto& topic : options_.topics) {
      auto count = internal::PartitionCount(rk_.get(), topic, std::chrono::seconds(10));
      if (!count.ok()) return count.status();
      for (int p = 0; p < *count; ++p) {
        const bool wanted = options_.partitions.empty() ||
                            std::find(options_.partitions.begin(), options_.partitions.end(), PartitionId(p)) !=
                                options_.partitions.end();
        if (wanted) rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p);
      }
    }
    SetStartOffsets(list.get());
    auto tps = ToTopicPartitions(list.get());
    if (options_.on_assigned) options_.on_assigned(tps);
    assigned_.insert(tps.begin(), tps.end());
    if (auto err = rd_kafka_assign(rk_.get(), list.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Status::Unavailable(std::string("cannot assign partitions: ") + rd_kafka_err2str(err));
    }
    return Status::Ok();
  }

  Status HandleError(rd_kafka_message_t* msg) {
    if (std::string hint = internal::UnhealableErrorHint(msg->err); !hint.empty()) {
      return Status::FailedPrecondition(hint + " (librdkafka: " + rd_kafka_message_errstr(msg) + ")");
    }
    // Transient broker and transport errors are retried by librdkafka itself.
    return Status::Unavailable(std::string("consumer: ") + rd_kafka_message_errstr(msg));
  }

  // The partitions of fell_off_ asked for offsets that fell off their logs: each loss is
  // reported, and fetching starts again at each log's start, all of them at once. One at a
  // time, a consumer far behind on many partitions re-assigned everything once per
  // partition (eager groups), each time dropping what it had fetched, and with each round
  // more fell off: it read nothing for minutes.
  Status ResumeAtLogStarts() {
    // Each log's start (ListOffsets v0, which every broker version answers).
    std::map<TopicPartition, int64_t> restart;
    for (const auto& [tp, asked] : fell_off_) {
      int64_t low = 0, high = 0;
      auto err = rd_kafka_query_watermark_offsets(rk_.get(), tp.topic.c_str(), tp.partition.value, &low, &high, 10000);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return Status::Unavailable("offset out of range on " + tp.topic + "/" + std::to_string(tp.partition.value) +
                                   " and the log's start is unknown: " + rd_kafka_err2str(err));
      }
      const int64_t lost = asked >= 0 && asked < low ? low - asked : 0;
      if (options_.on_loss) options_.on_loss(tp, lost);
      restart.emplace(tp, low);
    }
    return RestartAt(restart);
  }

  // Fetching of each partition starts again at its offset. After an offset-out-of-range
  // error librdkafka has stopped the partition and refuses to seek it (state "none"), so it
  // is assigned again: alone where the assignment is incremental, or with the whole
  // assignment, each other partition at its position, where it is eager.
  Status RestartAt(const std::map<TopicPartition, int64_t>& offsets) {
    auto check = [](rd_kafka_error_t* e) {
      if (e == nullptr) return Status::Ok();
      Status s = Status::Unavailable(std::string("restart after offset loss: ") + rd_kafka_error_string(e));
      rd_kafka_error_destroy(e);
      return s;
    };
    if (std::strcmp(rd_kafka_rebalance_protocol(rk_.get()), "EAGER") != 0) {
      PartitionListPtr some(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
      for (const auto& [tp, offset] : offsets) {
        rd_kafka_topic_partition_list_add(some.get(), tp.topic.c_str(), tp.partition.value)->offset = offset;
      }
      VOC_RETURN_IF_ERROR(check(rd_kafka_incremental_unassign(rk_.get(), some.get())));
      return check(rd_kafka_incremental_assign(rk_.get(), some.get()));
    }
    PartitionListPtr all(rd_kafka_topic_partition_list_new(static_cast<int>(assigned_.size())));
    for (const auto& a : assigned_) rd_kafka_topic_partition_list_add(all.get(), a.topic.c_str(), a.partition.value);
    rd_kafka_position(rk_.get(), all.get());
    PartitionListPtr unread(rd_kafka_topic_partition_list_new(0));  // nothing consumed yet
    for (int i = 0; i < all->cnt; ++i) {
      auto& e = all->elems[i];
      const TopicPartition tp{e.topic, PartitionId(e.partition)};
      if (auto it = offsets.find(tp); it != offsets.end()) {
        e.offset = it->second;
        restarted_at_[tp] = it->second;
      } else if (e.offset >= 0) {
        restarted_at_.erase(tp);
      } else if (auto earlier = restarted_at_.find(tp); earlier != restarted_at_.end()) {
        e.offset = earlier->second;  // restarted before and read nothing since: not its first offset again
      }
      if (e.offset < 0) rd_kafka_topic_partition_list_add(unread.get(), e.topic, e.partition);
    }
    SetStartOffsets(unread.get());
    for (int i = 0; i < unread->cnt; ++i) {
      rd_kafka_topic_partition_list_find(all.get(), unread->elems[i].topic, unread->elems[i].partition)->offset =
          unread->elems[i].offset;
    }
    if (auto err = rd_kafka_assign(rk_.get(), all.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Status::Unavailable(std::string("restart after offset loss: ") + rd_kafka_err2str(err));
    }
    return Status::Ok();
  }

  ConsumerOptions options_;
  HandlePtr rk_;  // destroyed after queue_ (see destructor)
  rd_kafka_queue_t* queue_ = nullptr;
  std::set<TopicPartition> assigned_;
  // Offsets handed to Commit that the group has not confirmed yet.
  std::map<TopicPartition, Offset> uncommitted_;
  // The partition of the last record Poll checked against assigned_, within one Poll.
  rd_kafka_topic_t* last_topic_ = nullptr;
  int32_t last_partition_ = -1;
  bool last_assigned_ = false;
  std::vector<void*> scratch_;
  // Of one Poll: the partitions whose offsets fell off the log, and the offset each asked for.
  std::map<TopicPartition, int64_t> fell_off_;
  // Eager groups: where each partition was last restarted after a loss, until it has a
  // position of its own (a restart of others re-assigns it, and must not send it back).
  std::map<TopicPartition, int64_t> restarted_at_;
  rd_kafka_queue_t* close_queue_ = nullptr;  // the rebalance events of a close under way
  bool destroying_ = false;
  bool close_requested_ = false;
  bool sticky_ = false;   // a group member with a sticky assignor
  bool synced_ = false;   // the group gave this member an assignment (maybe empty)
  bool closing_ = false;  // Close is letting a first join finish
};

Result<std::unique_ptr<Consumer>> Consumer::Create(ConsumerOptions options) {
  if (options.topics.empty()) return Status::InvalidArgument("consumer needs at least one topic");
  auto consumer = std::make_unique<ConsumerImpl>(std::move(options));
  VOC_RETURN_IF_ERROR(consumer->Init());
  return std::unique_ptr<Consumer>(std::move(consumer));
}

}  // namespace voc::kafka
