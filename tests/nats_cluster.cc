#include "tests/nats_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace pa_journal::testing {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPoll = std::chrono::milliseconds(100);
constexpr auto kExitWait = std::chrono::seconds(10);
constexpr int kPortAttempts = 3;

// A port on 127.0.0.1 that nothing listened on a moment ago (bind to port 0,
// read it back, close). Another process may take it before the server does:
// the caller retries with fresh ports when a server does not come up.
int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  if (port <= 0) throw std::runtime_error("no free port on 127.0.0.1");
  return port;
}

// The body of GET path on 127.0.0.1:port; "" if nothing answered within a
// second.
std::string http_get(int port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  timeval tv{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
        static_cast<ssize_t>(request.size())) {
      char buf[4096];
      for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) response.append(buf, n);
    }
  }
  ::close(fd);
  size_t body = response.find("\r\n\r\n");
  return body == std::string::npos ? "" : response.substr(body + 4);
}

nlohmann::json get_json(int port, const std::string& path) {
  return nlohmann::json::parse(http_get(port, path), nullptr, false);
}

bool exited(pid_t pid) {
  int status = 0;
  return ::waitpid(pid, &status, WNOHANG) == pid;
}

}  // namespace

std::string find_nats_server() {
  if (::access("/usr/sbin/nats-server", X_OK) == 0) return "/usr/sbin/nats-server";
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    std::string candidate = dir + "/nats-server";
    if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

NatsCluster::NatsCluster(NatsClusterOptions options) : options_(options) {
  server_ = find_nats_server();
  if (server_.empty()) {
    throw std::runtime_error(
        "nats-server not found (/usr/sbin/nats-server or on PATH; Debian: nats-server)");
  }
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      std::string(tmp != nullptr && *tmp ? tmp : "/tmp") + "/pa-nats-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  root_ = pattern;
  nodes_.resize(options_.nodes);
  for (int i = 0; i < size(); ++i) {
    nodes_[i].name = "n" + std::to_string(i + 1);
    nodes_[i].dir = root_ + "/" + nodes_[i].name;
    std::filesystem::create_directories(nodes_[i].dir);
  }
  for (int attempt = 1;; ++attempt) {
    std::set<int> ports;
    while (ports.size() < 3 * nodes_.size()) ports.insert(free_port());
    auto next = ports.begin();
    for (auto& n : nodes_) {
      n.client_port = *next++;
      n.cluster_port = *next++;
      n.http_port = *next++;
    }
    for (auto& n : nodes_) spawn(n);
    try {
      wait_ready();
      return;
    } catch (const std::runtime_error&) {
      for (int i = 0; i < size(); ++i) stop(i);
      if (attempt == kPortAttempts) {
        std::string all = logs();
        std::filesystem::remove_all(root_);
        throw std::runtime_error("nats-server did not come up:\n" + all);
      }
    }
  }
}

NatsCluster::~NatsCluster() {
  for (int i = 0; i < size(); ++i) stop(i);
  std::error_code ignored;
  std::filesystem::remove_all(root_, ignored);
}

std::string NatsCluster::url(int i) const {
  return "nats://127.0.0.1:" + std::to_string(nodes_[i].client_port);
}

std::string NatsCluster::url() const {
  std::string all = "nats://";
  for (const auto& n : nodes_) {
    if (all.size() > 7) all += ",";
    all += "127.0.0.1:" + std::to_string(n.client_port);
  }
  return all;
}

void NatsCluster::write_config(const Node& node) const {
  std::ofstream out(node.dir + "/server.conf");
  out << "server_name: " << node.name << "\n"
      << "listen: 127.0.0.1:" << node.client_port << "\n"
      << "http: 127.0.0.1:" << node.http_port << "\n";
  if (!options_.token.empty())
    out << "authorization { token: \"" << options_.token << "\" }\n";
  if (options_.jetstream) {
    out << "jetstream { store_dir: \"" << node.dir << "/js\", max_memory_store: 64MB, "
        << "max_file_store: 1GB }\n";
  }
  if (nodes_.size() > 1) {
    out << "cluster { name: pa-test, listen: 127.0.0.1:" << node.cluster_port
        << ", routes: [";
    for (size_t i = 0; i < nodes_.size(); ++i) {
      out << (i > 0 ? ", " : " ") << "nats://127.0.0.1:" << nodes_[i].cluster_port;
    }
    out << " ] }\n";
  }
}

// fork and exec rather than posix_spawn, for PR_SET_PDEATHSIG: a test process
// that crashes takes its servers with it instead of leaving them running. The
// child calls only async-signal-safe functions before exec.
void NatsCluster::spawn(Node& node) {
  write_config(node);
  std::string config = node.dir + "/server.conf", log = node.dir + "/server.log";
  // What the server says before its log is open (a bad configuration) goes
  // to server.out.
  std::string out = node.dir + "/server.out";
  std::vector<char*> argv = {server_.data(), const_cast<char*>("-c"),
                             config.data(),  const_cast<char*>("-l"),
                             log.data(),     nullptr};
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("cannot start " + server_ + ": fork failed");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    ::execv(server_.c_str(), argv.data());
    ::_exit(127);
  }
  node.pid = pid;
}

void NatsCluster::stop(int i, bool kill) {
  Node& node = nodes_[i];
  if (node.pid <= 0) return;
  ::kill(node.pid, kill ? SIGKILL : SIGTERM);
  auto deadline = Clock::now() + kExitWait;
  while (!exited(node.pid)) {
    if (Clock::now() > deadline) {
      ::kill(node.pid, SIGKILL);
      ::waitpid(node.pid, nullptr, 0);
      break;
    }
    std::this_thread::sleep_for(kPoll / 4);
  }
  node.pid = -1;
}

void NatsCluster::start(int i) {
  if (running(i)) return;
  spawn(nodes_[i]);
  wait_ready();
}

void NatsCluster::start_all() {
  for (auto& n : nodes_) {
    if (n.pid <= 0) spawn(n);
  }
  wait_ready();
}

// Answers, and with JetStream: single node, healthy with JetStream on;
// cluster, knows a meta leader of a group of every node.
bool NatsCluster::node_ready(const Node& node) const {
  if (!options_.jetstream) return !http_get(node.http_port, "/varz").empty();
  if (nodes_.size() == 1) {
    return http_get(node.http_port, "/healthz?js-enabled=true").find("ok") !=
           std::string::npos;
  }
  nlohmann::json jsz = get_json(node.http_port, "/jsz");
  if (!jsz.is_object() || !jsz.contains("meta_cluster")) return false;
  const auto& meta = jsz["meta_cluster"];
  return meta.value("leader", "") != "" && meta.value("cluster_size", 0) == size();
}

void NatsCluster::wait_ready() {
  auto deadline = Clock::now() + options_.ready_timeout;
  for (;;) {
    bool ready = true;
    std::set<std::string> up;
    for (auto& n : nodes_) {
      if (n.pid <= 0) continue;
      if (exited(n.pid)) {
        n.pid = -1;
        throw std::runtime_error(n.name + " exited:\n" + logs());
      }
      up.insert(n.name);
      ready = ready && node_ready(n);
    }
    if (ready && options_.jetstream && nodes_.size() > 1) {
      // The leader sees every other running node as current.
      ready = false;
      for (auto& n : nodes_) {
        if (n.pid <= 0) continue;
        nlohmann::json jsz = get_json(n.http_port, "/jsz");
        if (!jsz.is_object() || !jsz.contains("meta_cluster")) continue;
        const auto& meta = jsz["meta_cluster"];
        if (meta.value("leader", "") != n.name) continue;
        size_t current = 0;
        for (const auto& r : meta.value("replicas", nlohmann::json::array())) {
          if (r.value("current", false) && up.count(r.value("name", ""))) ++current;
        }
        ready = current + 1 >= up.size();
      }
    }
    if (ready) return;
    if (Clock::now() > deadline) {
      throw std::runtime_error("NATS servers not ready in time:\n" + logs());
    }
    std::this_thread::sleep_for(kPoll);
  }
}

bool NatsCluster::wait_until_seen_down(int i) const {
  auto deadline = Clock::now() + options_.ready_timeout;
  while (Clock::now() < deadline) {
    for (const auto& n : nodes_) {
      if (n.pid <= 0) continue;
      nlohmann::json jsz = get_json(n.http_port, "/jsz");
      if (!jsz.is_object() || !jsz.contains("meta_cluster")) continue;
      const auto& meta = jsz["meta_cluster"];
      if (meta.value("leader", "") != n.name) continue;
      for (const auto& r : meta.value("replicas", nlohmann::json::array())) {
        if (r.value("name", "") == nodes_[i].name &&
            (!r.value("current", true) || r.value("offline", false))) {
          return true;
        }
      }
    }
    std::this_thread::sleep_for(kPoll);
  }
  return false;
}

int NatsCluster::stream_leader(const std::string& stream) const {
  for (const auto& n : nodes_) {
    if (n.pid <= 0) continue;
    nlohmann::json jsz = get_json(n.http_port, "/jsz?accounts=true&streams=true");
    if (!jsz.is_object()) continue;
    for (const auto& account : jsz.value("account_details", nlohmann::json::array())) {
      for (const auto& detail : account.value("stream_detail", nlohmann::json::array())) {
        if (detail.value("name", "") != stream || !detail.contains("cluster")) continue;
        std::string leader = detail["cluster"].value("leader", "");
        for (int i = 0; i < size(); ++i) {
          if (nodes_[i].name == leader) return i;
        }
      }
    }
  }
  return -1;
}

std::string NatsCluster::logs() const {
  std::string all;
  for (const auto& n : nodes_) {
    for (const char* file : {"/server.out", "/server.log"}) {
      std::ifstream in(n.dir + file);
      std::stringstream text;
      text << in.rdbuf();
      all += "---- " + n.name + " (" + n.dir + file + ")\n" + text.str();
    }
  }
  return all;
}

}  // namespace pa_journal::testing
