// tandem_seccomp: compiles an OCI `linux.seccomp` section into the classic-BPF program that crun
// would load for it. crun 1.8.1 compiles the filter with libseccomp on every create (about 30 ms
// per architecture for Podman's profile; its own BPF cache needs a libgcrypt build that Debian's
// crun lacks), so Tandem compiles once per process and hands crun the program through the
// `run.oci.seccomp_bpf_data` annotation. The libseccomp calls below follow crun 1.8.1's
// libcrun_generate_seccomp (src/libcrun/seccomp.c) call for call: same default errno (EPERM),
// same arch name handling, rules whose action equals the default skipped, unknown syscall names
// skipped, arguments on a repeated index added as separate rules. With the same libseccomp the
// program is byte-identical to the <state>/<id>/seccomp.bpf crun writes (the integration test
// compares them).
#include <napi.h>
#include <seccomp.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cctype>
#include <string>
#include <vector>

namespace {

struct FilterGuard {
  scmp_filter_ctx ctx;
  ~FilterGuard() {
    if (ctx) seccomp_release(ctx);
  }
};

struct FdGuard {
  int fd;
  ~FdGuard() {
    if (fd >= 0) close(fd);
  }
};

// Bad input: a TypeError (wrong shape), a RangeError (out of range) or an Error (libseccomp refused).
[[noreturn]] void Fail(Napi::Env env, const std::string& msg) { throw Napi::Error::New(env, msg); }
[[noreturn]] void FailType(Napi::Env env, const std::string& msg) { throw Napi::TypeError::New(env, msg); }
[[noreturn]] void FailRange(Napi::Env env, const std::string& msg) { throw Napi::RangeError::New(env, msg); }

std::string ErrnoMessage(const std::string& what, int err) { return what + ": " + strerror(err); }

bool Present(const Napi::Object& o, const char* key) {
  if (!o.Has(key)) return false;
  Napi::Value v = o.Get(key);
  return !v.IsUndefined() && !v.IsNull();
}

std::string StringAt(Napi::Env env, const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsString()) FailType(env, std::string("seccomp: '") + key + "' must be a string");
  return v.As<Napi::String>().Utf8Value();
}

int64_t IntAt(Napi::Env env, const Napi::Object& o, const char* key, int64_t min, int64_t max) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) FailType(env, std::string("seccomp: '") + key + "' must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (d != static_cast<double>(static_cast<int64_t>(d)) || d < static_cast<double>(min) ||
      d > static_cast<double>(max)) {
    FailRange(env, std::string("seccomp: '") + key + "' is out of range");
  }
  return static_cast<int64_t>(d);
}

Napi::Array ArrayAt(Napi::Env env, const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsArray()) FailType(env, std::string("seccomp: '") + key + "' must be an array");
  return v.As<Napi::Array>();
}

// crun's seccomp_action_supports_errno.
bool SupportsErrno(const std::string& action) { return action == "SCMP_ACT_ERRNO" || action == "SCMP_ACT_TRACE"; }

// crun's get_seccomp_action.
uint32_t Action(Napi::Env env, const std::string& name, int errnoRet) {
  if (name == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(errnoRet);
  if (name == "SCMP_ACT_KILL") return SCMP_ACT_KILL;
  if (name == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  if (name == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(errnoRet);
  if (name == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (name == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
  // SCMP_ACT_NOTIFY needs a listener, which Tandem does not run.
  Fail(env, "seccomp: unsupported action '" + name + "'");
}

// crun's get_seccomp_operator.
scmp_compare Operator(Napi::Env env, const std::string& op) {
  if (op == "SCMP_CMP_NE") return SCMP_CMP_NE;
  if (op == "SCMP_CMP_LT") return SCMP_CMP_LT;
  if (op == "SCMP_CMP_LE") return SCMP_CMP_LE;
  if (op == "SCMP_CMP_EQ") return SCMP_CMP_EQ;
  if (op == "SCMP_CMP_GE") return SCMP_CMP_GE;
  if (op == "SCMP_CMP_GT") return SCMP_CMP_GT;
  if (op == "SCMP_CMP_MASKED_EQ") return SCMP_CMP_MASKED_EQ;
  Fail(env, "seccomp: unknown operator '" + op + "'");
}

// compile(profile) -> { bpf: Buffer, unknown: string[] }
Napi::Value Compile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsObject()) {
    throw Napi::TypeError::New(env, "compile(profile) needs the OCI seccomp object");
  }
  Napi::Object p = info[0].As<Napi::Object>();
  std::string defName = StringAt(env, p, "defaultAction");
  int defErrno = EPERM;
  if (Present(p, "defaultErrnoRet")) {
    if (!SupportsErrno(defName)) Fail(env, "seccomp: errno value specified for action '" + defName + "'");
    defErrno = static_cast<int>(IntAt(env, p, "defaultErrnoRet", 0, 4095));
  }
  uint32_t defAction = Action(env, defName, defErrno);
  FilterGuard filter{seccomp_init(defAction)};
  if (!filter.ctx) Fail(env, "seccomp_init failed");

  if (Present(p, "architectures")) {
    Napi::Array arches = ArrayAt(env, p, "architectures");
    for (uint32_t i = 0; i < arches.Length(); i++) {
      Napi::Value a = arches.Get(i);
      if (!a.IsString()) FailType(env, "seccomp: architectures must be strings");
      std::string arch = a.As<Napi::String>().Utf8Value();
      if (arch.rfind("SCMP_ARCH_", 0) == 0) arch = arch.substr(10);
      for (auto& c : arch) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
      uint32_t token = seccomp_arch_resolve_name(arch.c_str());
      if (token == 0) Fail(env, "seccomp: unknown architecture '" + arch + "'");
      int rc = seccomp_arch_add(filter.ctx, token);
      if (rc < 0 && rc != -EEXIST) Fail(env, ErrnoMessage("seccomp_arch_add " + arch, -rc));
    }
  }

  std::vector<std::string> unknown;
  Napi::Array rules = ArrayAt(env, p, "syscalls");
  for (uint32_t i = 0; i < rules.Length(); i++) {
    if (!rules.Get(i).IsObject()) FailType(env, "seccomp: syscalls must be objects");
    Napi::Object r = rules.Get(i).As<Napi::Object>();
    std::string actName = StringAt(env, r, "action");
    int errnoRet = EPERM;
    if (Present(r, "errnoRet")) {
      if (!SupportsErrno(actName)) Fail(env, "seccomp: errno value specified for action '" + actName + "'");
      errnoRet = static_cast<int>(IntAt(env, r, "errnoRet", 0, 4095));
    }
    uint32_t action = Action(env, actName, errnoRet);
    if (action == defAction) continue;

    bool hasArgs = Present(r, "args");
    std::vector<scmp_arg_cmp> cmps;
    bool repeated = false;
    if (hasArgs) {
      Napi::Array args = ArrayAt(env, r, "args");
      if (args.Length() > 6) FailRange(env, "seccomp: more than 6 argument comparisons");
      uint32_t count[6] = {0, 0, 0, 0, 0, 0};
      for (uint32_t k = 0; k < args.Length(); k++) {
        if (!args.Get(k).IsObject()) FailType(env, "seccomp: args must be objects");
        Napi::Object a = args.Get(k).As<Napi::Object>();
        scmp_arg_cmp c;
        memset(&c, 0, sizeof c);
        c.arg = static_cast<unsigned int>(IntAt(env, a, "index", 0, 5));
        if (++count[c.arg] > 1) repeated = true;
        c.op = Operator(env, StringAt(env, a, "op"));
        // Values past 2^53 cannot arrive exactly from JavaScript; the caller refuses them.
        c.datum_a = static_cast<scmp_datum_t>(IntAt(env, a, "value", 0, 9007199254740991LL));
        c.datum_b = Present(a, "valueTwo")
                        ? static_cast<scmp_datum_t>(IntAt(env, a, "valueTwo", 0, 9007199254740991LL))
                        : 0;
        cmps.push_back(c);
      }
    }

    Napi::Array names = ArrayAt(env, r, "names");
    for (uint32_t j = 0; j < names.Length(); j++) {
      Napi::Value nv = names.Get(j);
      if (!nv.IsString()) FailType(env, "seccomp: names must be strings");
      std::string name = nv.As<Napi::String>().Utf8Value();
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) {
        unknown.push_back(name);
        continue;
      }
      int rc;
      if (!hasArgs) {
        rc = seccomp_rule_add(filter.ctx, action, nr, 0);
        if (rc < 0) Fail(env, ErrnoMessage("seccomp_rule_add " + name, -rc));
      } else if (!repeated) {
        rc = seccomp_rule_add_array(filter.ctx, action, nr, static_cast<unsigned int>(cmps.size()), cmps.data());
        if (rc < 0) Fail(env, ErrnoMessage("seccomp_rule_add_array " + name, -rc));
      } else {
        // Comparisons on the same argument cannot be ANDed: one rule each (an OR), as crun does.
        for (auto& c : cmps) {
          rc = seccomp_rule_add_array(filter.ctx, action, nr, 1, &c);
          if (rc < 0) Fail(env, ErrnoMessage("seccomp_rule_add_array " + name, -rc));
        }
      }
    }
  }

  FdGuard mem{memfd_create("tandem-seccomp", MFD_CLOEXEC)};
  if (mem.fd < 0) Fail(env, ErrnoMessage("memfd_create", errno));
  int rc = seccomp_export_bpf(filter.ctx, mem.fd);
  if (rc < 0) Fail(env, ErrnoMessage("seccomp_export_bpf", -rc));
  off_t size = lseek(mem.fd, 0, SEEK_END);
  if (size < 0) Fail(env, ErrnoMessage("lseek", errno));
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, static_cast<size_t>(size));
  size_t done = 0;
  while (done < static_cast<size_t>(size)) {
    ssize_t n = pread(mem.fd, out.Data() + done, static_cast<size_t>(size) - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) Fail(env, ErrnoMessage("pread", n < 0 ? errno : EIO));
    done += static_cast<size_t>(n);
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("bpf", out);
  Napi::Array u = Napi::Array::New(env, unknown.size());
  for (size_t i = 0; i < unknown.size(); i++) u.Set(static_cast<uint32_t>(i), Napi::String::New(env, unknown[i]));
  result.Set("unknown", u);
  return result;
}

Napi::Value Version(const Napi::CallbackInfo& info) {
  const scmp_version* v = seccomp_version();
  return Napi::String::New(info.Env(), std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                                           std::to_string(v->micro));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("compile", Napi::Function::New(env, Compile));
  exports.Set("libseccompVersion", Napi::Function::New(env, Version));
  return exports;
}

}  // namespace

NODE_API_MODULE(tandem_seccomp, Init)
