// Keyword bindings for the list-valued fields (addresses, routes, tracking, names).
#pragma once
#include "conf/bind.hpp"
#include "conf/schemas.hpp"

namespace vigil::conf::bind {

template <auto M>
void h_addresses(Parser& p, void* t, const Stmt& st) {
  parse_address_list(p, st, as<ClassOf<M>>(t).*M);
}
template <auto M>
void d_addresses(JsonWriter& j, std::string_view k, const void* t) {
  const auto& v = as<ClassOf<M>>(t).*M;
  if (v.empty()) return;
  j.key(k);
  dump_address_list(j, v);
}
template <auto M, bool Rules>
void h_routes(Parser& p, void* t, const Stmt& st) {
  parse_route_list(p, st, Rules, as<ClassOf<M>>(t).*M);
}
template <auto M>
void d_routes(JsonWriter& j, std::string_view k, const void* t) {
  const auto& v = as<ClassOf<M>>(t).*M;
  if (v.empty()) return;
  j.key(k);
  dump_route_list(j, v);
}
template <auto M>
void h_track(Parser& p, void* t, const Stmt& st) {
  parse_track_list(p, st, as<ClassOf<M>>(t).*M);
}
template <auto M>
void d_track(JsonWriter& j, std::string_view k, const void* t) {
  const auto& v = as<ClassOf<M>>(t).*M;
  if (v.empty()) return;
  j.key(k);
  dump_track_list(j, v);
}
template <auto M>
void h_names(Parser& p, void* t, const Stmt& st) {
  parse_name_list(p, st, as<ClassOf<M>>(t).*M);
}
template <auto M>
void d_names(JsonWriter& j, std::string_view k, const void* t) {
  const auto& v = as<ClassOf<M>>(t).*M;
  if (v.empty()) return;
  j.key(k);
  dump_name_list(j, v);
}

template <auto M>
KeywordDef addresses(std::string_view name, std::string_view summary = {}) {
  return custom(name, &h_addresses<M>, &d_addresses<M>, summary);
}
template <auto M, bool Rules>
KeywordDef routes(std::string_view name, std::string_view summary = {}) {
  return custom(name, &h_routes<M, Rules>, &d_routes<M>, summary);
}
template <auto M>
KeywordDef tracks(std::string_view name, std::string_view summary = {}) {
  return custom(name, &h_track<M>, &d_track<M>, summary);
}
template <auto M>
KeywordDef names(std::string_view name, std::string_view summary = {}) {
  return custom(name, &h_names<M>, &d_names<M>, summary);
}

}  // namespace vigil::conf::bind
