// virConnectGetAllDomainStats → [{name, uuid, params: {"cpu.time": 123, ...}}]. Typed parameters
// become numbers, booleans or strings; 64-bit counters become doubles (exact below 2^53).
#include "common.h"

namespace tlv {

namespace {
struct Param {
  std::string field;
  int type;
  double num = 0;
  bool b = false;
  std::string str;
};
struct Record {
  std::string name, uuid;
  std::vector<Param> params;
};
}  // namespace

Napi::Value GetAllDomainStatsAsync(Napi::Env env, ConnRef cs, unsigned int groups, unsigned int flags) {
  virConnectPtr c = cs->conn;
  auto out = std::make_shared<std::vector<Record>>();
  return RunAsync(
      env,
      [c, groups, flags, out](LvErr& e) {
        virDomainStatsRecordPtr* recs = nullptr;
        int n = virConnectGetAllDomainStats(c, groups, &recs, flags);
        if (n < 0) return e.Capture();
        out->reserve(n);
        for (int i = 0; i < n; i++) {
          Record r;
          const char* nm = virDomainGetName(recs[i]->dom);
          r.name = nm ? nm : "";
          char uuid[VIR_UUID_STRING_BUFLEN];
          if (virDomainGetUUIDString(recs[i]->dom, uuid) == 0) r.uuid = uuid;
          r.params.reserve(recs[i]->nparams);
          for (int j = 0; j < recs[i]->nparams; j++) {
            virTypedParameterPtr p = &recs[i]->params[j];
            Param q;
            q.field = p->field;
            q.type = p->type;
            switch (p->type) {
              case VIR_TYPED_PARAM_INT: q.num = p->value.i; break;
              case VIR_TYPED_PARAM_UINT: q.num = p->value.ui; break;
              case VIR_TYPED_PARAM_LLONG: q.num = static_cast<double>(p->value.l); break;
              case VIR_TYPED_PARAM_ULLONG: q.num = static_cast<double>(p->value.ul); break;
              case VIR_TYPED_PARAM_DOUBLE: q.num = p->value.d; break;
              case VIR_TYPED_PARAM_BOOLEAN: q.b = p->value.b != 0; break;
              case VIR_TYPED_PARAM_STRING: q.str = p->value.s ? p->value.s : ""; break;
              default: continue;
            }
            r.params.push_back(std::move(q));
          }
          out->push_back(std::move(r));
        }
        virDomainStatsRecordListFree(recs);
        return true;
      },
      [out](Napi::Env env) {
        Napi::Array arr = Napi::Array::New(env, out->size());
        for (size_t i = 0; i < out->size(); i++) {
          const Record& r = (*out)[i];
          Napi::Object o = Napi::Object::New(env);
          o.Set("name", r.name);
          o.Set("uuid", r.uuid);
          Napi::Object params = Napi::Object::New(env);
          for (const Param& p : r.params) {
            if (p.type == VIR_TYPED_PARAM_BOOLEAN)
              params.Set(p.field, Napi::Boolean::New(env, p.b));
            else if (p.type == VIR_TYPED_PARAM_STRING)
              params.Set(p.field, Napi::String::New(env, p.str));
            else
              params.Set(p.field, Napi::Number::New(env, p.num));
          }
          o.Set("params", params);
          arr.Set(i, o);
        }
        return arr;
      },
      {HoldConn(c)});
}

}  // namespace tlv
