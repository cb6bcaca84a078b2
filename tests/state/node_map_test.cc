// The typed store's cache index (common/core/node_map.h), against std::map as the model.
#include "common/core/node_map.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

namespace voc {
namespace {

std::string Key(int n) { return "theme-" + std::to_string(n % 97) + "|customer-" + std::to_string(n); }

// Every key of the model is found with its value, the map holds nothing else, and a key
// outside the model is not found.
void ExpectSameAs(const NodeMap<int>& map, const std::map<std::string, int>& model, int absent_from, int absent_to) {
  ASSERT_EQ(map.size(), model.size());
  for (const auto& [key, value] : model) {
    const auto* node = map.Find(key);
    ASSERT_NE(node, nullptr) << key;
    EXPECT_EQ(node->first, key);
    EXPECT_EQ(node->second, value) << key;
  }
  size_t visited = 0;
  map.ForEach([&](const NodeMap<int>::Node& node) {
    ++visited;
    auto it = model.find(node.first);
    ASSERT_NE(it, model.end()) << node.first;
    EXPECT_EQ(node.second, it->second);
  });
  EXPECT_EQ(visited, model.size());
  for (int n = absent_from; n < absent_to; ++n) {
    if (!model.contains(Key(n))) {
      EXPECT_EQ(map.Find(Key(n)), nullptr) << Key(n);
    }
  }
}

TEST(NodeMapTest, FindsEveryKeyInsertedAndNoOther) {
  NodeMap<int> map;
  std::map<std::string, int> model;
  EXPECT_EQ(map.Find("anything"), nullptr);
  for (int n = 0; n < 20'000; ++n) {
    auto [node, inserted] = map.TryEmplace(Key(n));
    ASSERT_TRUE(inserted);
    EXPECT_EQ(node->second, 0);  // default-constructed
    node->second = n;
    model[Key(n)] = n;
  }
  auto [again, inserted] = map.TryEmplace(Key(7));
  EXPECT_FALSE(inserted);
  EXPECT_EQ(again->second, 7);
  ExpectSameAs(map, model, 20'000, 21'000);
}

// What the store's dirty list and a processor's Refs rely on.
TEST(NodeMapTest, AnEntryStaysAtItsAddressWhileOthersAreAddedAndErased) {
  NodeMap<int> map;
  std::vector<const NodeMap<int>::Node*> kept;
  for (int n = 0; n < 100; ++n) {
    auto* node = map.TryEmplace(Key(n)).first;
    node->second = n;
    kept.push_back(node);
  }
  for (int n = 100; n < 50'000; ++n) map.TryEmplace(Key(n)).first->second = n;  // the index grows ~10 times
  for (int n = 100; n < 50'000; n += 2) map.Erase(map.Find(Key(n)));
  for (int n = 0; n < 100; ++n) {
    EXPECT_EQ(map.Find(Key(n)), kept[n]);
    EXPECT_EQ(kept[n]->second, n);
  }
}

// Erasing moves later entries of a probe run back; a small key space keeps the table
// small and full of runs that wrap around its end.
TEST(NodeMapTest, RandomInsertsAndErasesKeepEveryEntryReachable) {
  NodeMap<int> map;
  std::map<std::string, int> model;
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    for (int op = 0; op < 500; ++op) {
      const int n = static_cast<int>(rng() % 600);
      const std::string key = Key(n);
      if (rng() % 3 == 0) {
        if (auto* node = map.Find(key); node != nullptr) map.Erase(node);
        model.erase(key);
      } else {
        map.TryEmplace(key).first->second = op;
        model[key] = op;
      }
    }
    ExpectSameAs(map, model, 0, 600);
  }
}

TEST(NodeMapTest, EraseIfAsksEachEntryOnceAndErasesWhatItSays) {
  NodeMap<int> map;
  std::map<std::string, int> model;
  for (int n = 0; n < 5'000; ++n) {
    map.TryEmplace(Key(n)).first->second = n;
    if (n % 3 != 0) model[Key(n)] = n;
  }
  std::map<std::string, int> asked;
  map.EraseIf([&](const NodeMap<int>::Node& node) {
    ++asked[node.first];
    return node.second % 3 == 0;
  });
  EXPECT_EQ(asked.size(), 5'000u);
  for (const auto& [key, times] : asked) EXPECT_EQ(times, 1) << key;
  ExpectSameAs(map, model, 0, 5'000);
}

TEST(NodeMapTest, AMovedMapKeepsItsNodesAndLeavesAnEmptyOne) {
  NodeMap<int> from;
  auto* node = from.TryEmplace("k").first;
  node->second = 5;
  NodeMap<int> to(std::move(from));
  EXPECT_EQ(to.Find("k"), node);
  EXPECT_TRUE(from.empty());  // as node_map.h promises
  EXPECT_EQ(from.Find("k"), nullptr);
  from.TryEmplace("other");  // usable again
  EXPECT_EQ(from.size(), 1u);
  NodeMap<int> assigned;
  assigned.TryEmplace("gone");
  assigned = std::move(to);
  EXPECT_EQ(assigned.Find("k"), node);
  EXPECT_EQ(assigned.Find("gone"), nullptr);
}

}  // namespace
}  // namespace voc
