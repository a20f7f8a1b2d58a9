#include "snapshot/list_file.h"

#include <cmath>
#include <set>

#include "model/validation.h"
#include "pa_journal/document.h"
#include "pa_journal/errors.h"

namespace pa_journal {
namespace {

using nlohmann::json;

// The key an element's "id" gives, or "" if it gives none a store can use.
std::string id_key(const json& element) {
  if (!element.is_object()) return {};
  auto id = element.find("id");
  if (id == element.end()) return {};
  std::string key;
  if (id->is_string()) {
    key = id->get<std::string>();
  } else if (id->is_number_integer()) {
    key = id->dump();
  } else {
    return {};
  }
  try {
    validate_key(key);
  } catch (const InvalidInputError&) {
    return {};
  }
  return key;
}

// Every element's id key, or an empty vector if some element has none or
// two share one.
std::vector<std::string> distinct_ids(const json& list) {
  std::vector<std::string> keys;
  std::set<std::string> seen;
  for (const auto& element : list) {
    std::string key = id_key(element);
    if (key.empty() || !seen.insert(key).second) return {};
    keys.push_back(std::move(key));
  }
  return keys;
}

ListDocuments config_documents(const json& list) {
  if (list.size() > 1 || (list.size() == 1 && !list[0].is_object())) {
    throw InvalidInputError("config.json holds a list of one object");
  }
  ListDocuments out;
  if (!list.empty()) {
    for (const auto& [key, value] : list[0].items()) {
      validate_key(key);
      out.documents[key] = dump_element(value, "the setting '" + key + "'");
    }
  }
  return out;
}

}  // namespace

void refuse_unstorable(const json& value, const std::string& what) {
  switch (value.type()) {
    case json::value_t::number_float:
      if (!std::isfinite(value.get<double>())) {
        throw InvalidInputError(what +
                                " holds NaN or an infinity, which JSON cannot hold");
      }
      return;
    case json::value_t::binary:
      throw InvalidInputError(what + " holds a binary value, which JSON cannot hold");
    case json::value_t::array:
    case json::value_t::object:
      for (const auto& member : value) refuse_unstorable(member, what);
      return;
    default:
      return;
  }
}

std::string dump_element(const json& element, const std::string& what) {
  refuse_unstorable(element, what);
  std::string text;
  try {
    text = element.dump();
  } catch (const json::exception&) {
    throw InvalidInputError(what + " holds a string that is not UTF-8");
  }
  validate_document_size(text, what);
  return text;
}

ListDocuments documents_of_list(const std::string& collection, const json& list) {
  if (!list.is_array()) throw InvalidInputError("a list file holds a JSON array");
  if (collection == kConfigCollection) return config_documents(list);
  ListDocuments out;
  std::vector<std::string> ids = distinct_ids(list);
  out.keyed_by_id = !list.empty() && !ids.empty();
  for (size_t i = 0; i < list.size(); ++i) {
    std::string key = out.keyed_by_id ? ids[i] : "#" + std::to_string(i);
    out.documents.emplace(key, dump_element(list[i], "item " + std::to_string(i)));
    out.order.push_back(std::move(key));
  }
  return out;
}

json list_of_documents(const std::string& collection, const Collection& docs,
                       const json& order_doc) {
  json out = json::array();
  if (collection == kConfigCollection) {
    if (docs.empty()) return out;
    json config = json::object();
    for (const auto& [key, doc] : docs) config[key] = parse_document(doc);
    out.push_back(std::move(config));
    return out;
  }
  std::set<std::string> listed;
  if (order_doc.is_array()) {
    for (const auto& key : order_doc) {
      auto it = key.is_string() ? docs.find(key.get<std::string>()) : docs.end();
      if (it != docs.end() && listed.insert(it->first).second) {
        out.push_back(parse_document(it->second));
      }
    }
  }
  for (const auto& [key, doc] : docs) {
    if (!listed.count(key)) out.push_back(parse_document(doc));
  }
  return out;
}

std::string order_document(const std::vector<std::string>& order) {
  return json(order).dump();
}

std::vector<Operation> list_changes(const std::string& collection, const Collection& from,
                                    const std::string* from_order,
                                    const ListDocuments& to) {
  std::vector<Operation> ops;
  for (const auto& [key, doc] : to.documents) {
    auto it = from.find(key);
    if (it == from.end() || it->second != doc) {
      ops.push_back({OpKind::kPut, collection, key, doc});
    }
  }
  for (const auto& [key, _] : from) {
    if (!to.documents.count(key)) ops.push_back({OpKind::kDelete, collection, key, {}});
  }
  if (collection != kConfigCollection) {
    std::string order = order_document(to.order);
    // No order stored is the order of an empty list.
    if ((from_order == nullptr ? std::string("[]") : *from_order) != order) {
      ops.push_back({OpKind::kPut, kOrderCollection, collection, std::move(order)});
    }
  }
  return ops;
}

}  // namespace pa_journal
