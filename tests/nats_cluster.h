// NATS servers for the tests of replication: 1 or 3 nats-server processes on
// 127.0.0.1, each with its own temporary directory (configuration, JetStream
// store, log), its own client, cluster and monitoring ports (chosen free), and
// for 3 nodes one cluster with routes between all of them.
//
// Every wait is bounded; a node that does not come up in time throws
// std::runtime_error carrying the logs of every node. Nodes are stopped by
// pid, never by name, and die with the thread that started them (so that a
// crashed test leaves no server behind): start nodes from a thread that
// lives as long as the cluster. Not thread-safe: one test thread drives a
// cluster (another may stop a node while it waits).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace pa_journal::testing {

struct NatsClusterOptions {
  int nodes = 3;          // 1 or 3
  bool jetstream = true;  // false: a server without JetStream
  std::string token;      // not empty: clients must present it
  std::chrono::milliseconds ready_timeout{30'000};
};

class NatsCluster {
 public:
  // Starts every node and waits until it is ready (wait_ready). Throws
  // std::runtime_error if nats-server is not installed or a node fails.
  explicit NatsCluster(NatsClusterOptions options = {});
  // Stops every node by pid (SIGKILL) and removes the directories.
  ~NatsCluster();
  NatsCluster(const NatsCluster&) = delete;
  NatsCluster& operator=(const NatsCluster&) = delete;

  int size() const { return static_cast<int>(nodes_.size()); }
  // "nats://127.0.0.1:P1,127.0.0.1:P2,...": every node.
  std::string url() const;
  // "nats://127.0.0.1:P": node i only.
  std::string url(int i) const;
  bool running(int i) const { return nodes_[i].pid > 0; }

  // Ends node i: SIGKILL (kill = true) or SIGTERM, then waits (bounded) until
  // it exited. Its directory and ports stay for start(i).
  void stop(int i, bool kill = true);
  // Starts node i again with the same directory and ports, and waits until
  // every running node is ready (a cluster needs two of three nodes to be).
  void start(int i);
  // Starts every stopped node, then waits once until all are ready.
  void start_all();
  // Waits until every running node answers and, with JetStream on, until
  // JetStream has a leader that sees every running node as current.
  void wait_ready();

  // Waits (bounded by ready_timeout) until JetStream's leader no longer counts
  // stopped node i as current; false if it still does at the deadline.
  bool wait_until_seen_down(int i) const;

  // The index of the node that leads stream (JetStream's monitoring page of a
  // running node); -1 if no running node names one.
  int stream_leader(const std::string& stream) const;

  // Every node's log, headed by its name, for a failing test's message.
  std::string logs() const;

 private:
  struct Node {
    std::string name, dir;
    int client_port = 0, cluster_port = 0, http_port = 0;
    pid_t pid = -1;
  };

  void write_config(const Node& node) const;
  void spawn(Node& node);
  bool node_ready(const Node& node) const;

  NatsClusterOptions options_;
  std::string root_, server_;
  std::vector<Node> nodes_;
};

// The path of nats-server (/usr/sbin/nats-server or on PATH); "" if absent.
std::string find_nats_server();

}  // namespace pa_journal::testing
