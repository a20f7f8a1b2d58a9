// The seed app's list files as collections: how a JSON list (what the app's
// save("contacts.json", list) writes) becomes documents with keys, and back.
// FileStorage's save and load, `pa-journal adopt` and `pa-journal import` of
// list files all follow these rules, so a list comes back in its order with
// the same keys whichever way it came in.
//
// Keys of a list: if every element is an object whose "id" member is a
// string or an integer that is a valid key (1 to 256 bytes of UTF-8, no '/',
// no control character) and no two elements share one, each element is
// keyed by its id (an integer id 42 as the key "42"); otherwise every element
// is keyed by its position, "#0", "#1", ... A list's order is kept as a
// document of the collection kOrderCollection whose key is the list's
// collection and whose value is the list of keys in order.
//
// config.json is the exception: the app keeps its settings as a list of one
// object, whose members become the documents of the collection "config".
//
// Thread-safety: free functions on values.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pa_journal/record.h"

namespace pa_journal {

// Where list order is kept; never a list file of its own.
inline constexpr const char* kOrderCollection = "facade-order";

struct ListDocuments {
  Collection documents;
  // The keys in list order; empty for config.
  std::vector<std::string> order;
  bool keyed_by_id = false;
};

// The documents of list, a JSON array saved as collection. Throws
// InvalidInputError if list is not an array, if config's is not a list of at
// most one object, or if an element holds what JSON text cannot (NaN, an
// infinity, a binary value, a string that is not UTF-8) or is too large.
ListDocuments documents_of_list(const std::string& collection,
                                const nlohmann::json& list);

// The list a collection's documents make, in the order order_doc (a JSON
// array of keys, or null) gives; documents it does not name follow in key
// order. Throws CorruptedDataError if a stored document is not JSON.
nlohmann::json list_of_documents(const std::string& collection, const Collection& docs,
                                 const nlohmann::json& order_doc);

// The puts and deletes that turn a collection's documents `from` into
// to.documents, then the put of to's order into kOrderCollection if it
// differs from from_order (the order document stored now, if any; config
// has none).
std::vector<Operation> list_changes(const std::string& collection, const Collection& from,
                                    const std::string* from_order,
                                    const ListDocuments& to);

// The order of a list as the document kept in kOrderCollection.
std::string order_document(const std::vector<std::string>& order);

// Throws InvalidInputError if value holds NaN, an infinity or a binary value:
// JSON text cannot hold them, and nlohmann would write null or an object.
void refuse_unstorable(const nlohmann::json& value, const std::string& what);

// Compact JSON of one element, refusing what the store could not keep as it
// is (see documents_of_list). what names the value in the message.
std::string dump_element(const nlohmann::json& element, const std::string& what);

}  // namespace pa_journal
