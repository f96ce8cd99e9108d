/**
 * Trusted guest code, evaluated in every fresh context before any learner
 * code runs. It captures the intrinsics it needs while they are still
 * pristine, so a learner who later rewrites `Array.prototype`, `JSON` or
 * `Function.prototype.call` cannot change how values are encoded.
 *
 * It evaluates to a factory; the host calls it once with three raw host
 * functions (`hostCall(name, payload)`, `hostLog(text, truncated)`,
 * `hostNow()`: the guest's clock, see below), the host API's
 * names, the limits and one fast host function per name (called with primitive
 * arguments as they are), and keeps the returned `{ load, call, callFast }` helpers.
 * Neither the raw functions nor the helpers are reachable from learner code.
 *
 * Why the Proxy constructor is wrapped: QuickJS offers no way to ask "is this
 * a Proxy?", and a Proxy's traps could lie about its contents while being
 * read. Every Proxy the learner creates goes through the wrapper and is
 * remembered, so the encoder can refuse it without touching its traps.
 *
 * Why Date is replaced: the guest's clock must not be the machine's. A hook
 * that waits for `Date.now()` to pass a deadline would otherwise spend more
 * steps on a fast machine than on a busy one, and its verdict would depend on
 * load. The guest's `Date.now()` and `new Date()` read `hostNow()`: a fixed
 * epoch plus the steps counted so far, in budget ms (deterministic, and it
 * moves as the guest's code runs).
 *
 * Math.random is replaced for the same reason: QuickJS seeds it from the time
 * of day, so two gradings of one submission could draw different numbers.
 *
 * Everything the prelude keeps (the Proxy record, the console's remaining
 * budget, the random state, the module's exports) lives in the guest's heap,
 * so a snapshot factory's restore puts it back with the rest (see
 * engine/factory.ts); the host functions it was given stay valid because the
 * host holds a handle on each (engine/instance.ts).
 *
 * Helpers return a tagged string: `v<payload>` (a value), `x<message>` (a
 * value that cannot leave the sandbox), `e<json of {name, message}>` (the
 * learner's code threw). On the fast path (`limits.fastMaxArgs > 0`) a hook's
 * result may also come back as a number or boolean as is, `undefined` (for
 * null or undefined), or `s<string>` (a short string); the host reads those
 * only after checking the QuickJS type, so no guest code runs for them.
 */
export const PRELUDE_SOURCE = String.raw`(function (hostCall, hostLog, hostNow, apiName, apiNamesJson, limitsJson, hostFastFns) {
  'use strict';
  var apiNames = JSON.parse(apiNamesJson);
  var limits = JSON.parse(limitsJson);
  var G = globalThis;
  var ReflectApply = Reflect.apply;
  var ownKeys = Reflect.ownKeys;
  var getDesc = Object.getOwnPropertyDescriptor;
  var defineProperty = Object.defineProperty;
  var getProto = Object.getPrototypeOf;
  var freeze = Object.freeze;
  var hasOwnProperty = Object.prototype.hasOwnProperty;
  var isArray = Array.isArray;
  var ObjectProto = Object.prototype;
  var ArrayProto = Array.prototype;
  var ErrorProto = Error.prototype;
  var JSONStringify = JSON.stringify;
  var JSONParse = JSON.parse;
  var StringSlice = String.prototype.slice;
  var StringCtor = String;
  var NumberIsFinite = Number.isFinite;
  var BigIntCtor = BigInt;
  var TypeErrorCtor = TypeError;
  var ErrorCtor = Error;
  var OrigProxy = Proxy;
  var origRevocable = Proxy.revocable;
  var proxies = new WeakSet();
  var WeakSetHas = WeakSet.prototype.has;
  var WeakSetAdd = WeakSet.prototype.add;
  var SetCtor = Set;
  var SetHas = Set.prototype.has;
  var SetAdd = Set.prototype.add;
  var SetDelete = Set.prototype.delete;

  function hasOwn(o, k) { return ReflectApply(hasOwnProperty, o, [k]); }
  function isProxy(v) { return ReflectApply(WeakSetHas, proxies, [v]); }

  function RecordingProxy(target, handler) {
    if (new.target === undefined) throw new TypeErrorCtor("Constructor Proxy requires 'new'");
    var p = new OrigProxy(target, handler);
    ReflectApply(WeakSetAdd, proxies, [p]);
    return p;
  }
  defineProperty(RecordingProxy, 'name', { value: 'Proxy', configurable: true });
  defineProperty(RecordingProxy, 'revocable', {
    value: function revocable(target, handler) {
      var r = origRevocable(target, handler);
      ReflectApply(WeakSetAdd, proxies, [r.proxy]);
      return r;
    },
    writable: true, configurable: true, enumerable: false,
  });
  defineProperty(G, 'Proxy', { value: RecordingProxy, writable: true, configurable: true, enumerable: false });

  var StringCharCodeAt = String.prototype.charCodeAt;
  // Fast path (limits.fastMaxArgs > 0): primitives cross as QuickJS values,
  // not encoded. The host computed these bounds so that any value they admit
  // is also within every cap of the encoded path.
  var fastMaxArgs = limits.fastMaxArgs;
  var fastMaxString = limits.fastMaxString;
  // Strings cross as NUL-terminated UTF-8: no NUL, no surrogate (see engine.ts).
  function isFastString(s) {
    var n = s.length;
    if (n > fastMaxString) return false;
    for (var i = 0; i < n; i++) {
      var c = ReflectApply(StringCharCodeAt, s, [i]);
      if (c === 0 || (c >= 0xD800 && c <= 0xDFFF)) return false;
    }
    return true;
  }
  function isFastValue(x) {
    var t = typeof x;
    return t === 'number' || t === 'boolean' || x === null || x === undefined ||
      (t === 'string' && isFastString(x));
  }
  function Refused(message) { defineProperty(this, 'message', { value: message }); }

  // 'the value returned by f(): result.a[0]' — context, then the path from rootName.
  function pathText(root, path) { return root.context + ': ' + root.name + path; }
  function isIdentifier(k) {
    if (k.length === 0 || k.length > 64) return false;
    for (var i = 0; i < k.length; i++) {
      var c = ReflectApply(StringCharCodeAt, k, [i]);
      var letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 36 || c === 95;
      if (!letter && !(i > 0 && c >= 48 && c <= 57)) return false;
    }
    return true;
  }
  function keyText(k) { return isIdentifier(k) ? '.' + k : '[' + JSONStringify(k) + ']'; }
  function errorJson(name, message) { return '{"name":' + JSONStringify(name) + ',"message":' + JSONStringify(message) + '}'; }

  function describe(v) {
    if (v === undefined) return 'undefined';
    var t = typeof v;
    if (t === 'function') return 'a function';
    if (t === 'symbol') return 'a symbol';
    if (isProxy(v)) return 'a Proxy';
    var proto = getProto(v);
    var name = 'object';
    if (proto !== null && !isProxy(proto)) {
      var c = getDesc(proto, 'constructor');
      if (c && hasOwn(c, 'value') && typeof c.value === 'function') {
        var n = getDesc(c.value, 'name');
        if (n && hasOwn(n, 'value') && typeof n.value === 'string' && n.value !== '') name = n.value;
      }
    }
    return 'an instance of ' + name;
  }

  // Encodes v as '[json,[specials]]' or throws a Refused. Runs only captured
  // functions and own data properties: no getter, trap or toJSON is invoked.
  var lastJson = '';
  // forConsole: for console output, not the wire — a bigint prints as 42n, as Node shows it.
  function encode(v, root, forConsole) {
    var nodes = 0;
    var specials = '';
    var ancestors = new SetCtor();
    function refuse(path, why) {
      throw new Refused(pathText(root, path) + ' is ' + why +
        '; only null, booleans, numbers, bigints, strings, arrays and plain objects can cross the sandbox boundary');
    }
    function enc(x, path, keys, depth) {
      nodes += 1;
      if (nodes > limits.maxNodes) refuse(path, 'too large (more than ' + limits.maxNodes + ' values)');
      var t = typeof x;
      if (t === 'string') {
        if (x.length > limits.maxStringLength) refuse(path, 'a string longer than ' + limits.maxStringLength + ' characters');
        return JSONStringify(x);
      }
      if (t === 'number') {
        if (NumberIsFinite(x)) return '' + x;
        specials += (specials === '' ? '' : ',') + '[[' + keys + '],' + (x !== x ? '"NaN"' : x > 0 ? '"Infinity"' : '"-Infinity"') + ']';
        return 'null';
      }
      if (t === 'bigint') {
        // '' + x is the abstract ToString: no prototype method runs.
        var digits = '' + x;
        if (digits.length - (x < 0 ? 1 : 0) > limits.maxBigintDigits) {
          refuse(path, 'a bigint too large to cross (more than ' + limits.maxBigintDigits + ' digits)');
        }
        if (forConsole) return digits + 'n';
        specials += (specials === '' ? '' : ',') + '[[' + keys + '],"bigint"]';
        return '"' + digits + '"';
      }
      if (t === 'boolean') return x ? 'true' : 'false';
      if (x === null) return 'null';
      if (t !== 'object') refuse(path, describe(x));
      if (isProxy(x)) refuse(path, 'a Proxy');
      if (depth >= limits.maxDepth) refuse(path, 'nested more than ' + limits.maxDepth + ' levels deep');
      if (ReflectApply(SetHas, ancestors, [x])) refuse(path, 'a cyclic reference (it contains itself)');
      var proto = getProto(x);
      var out = '';
      var sep = keys === '' ? '' : ',';
      ReflectApply(SetAdd, ancestors, [x]);
      if (isArray(x) && proto === ArrayProto) {
        var len = x.length;
        // Every element is at least one value: an array longer than what is
        // left of the budget is refused at once, not after walking it.
        if (nodes + len > limits.maxNodes) refuse(path, 'too large (more than ' + limits.maxNodes + ' values)');
        for (var i = 0; i < len; i++) {
          var d = getDesc(x, '' + i);
          var p = path + '[' + i + ']';
          if (d && !hasOwn(d, 'value')) refuse(p, 'a getter');
          out += (i === 0 ? '' : ',') + (d === undefined || d.value === undefined ? 'null' : enc(d.value, p, keys + sep + i, depth + 1));
          if (nodes > limits.maxNodes) refuse(path, 'too large (more than ' + limits.maxNodes + ' values)');
        }
        ReflectApply(SetDelete, ancestors, [x]);
        return '[' + out + ']';
      }
      if (isArray(x) || (proto !== ObjectProto && proto !== null)) refuse(path, describe(x));
      var ks = ownKeys(x);
      if (nodes + ks.length > limits.maxNodes) refuse(path, 'too large (more than ' + limits.maxNodes + ' values)');
      var first = true;
      for (var j = 0; j < ks.length; j++) {
        var k = ks[j];
        if (typeof k !== 'string') continue;
        var dk = getDesc(x, k);
        if (dk === undefined) continue;
        var pk = path + keyText(k);
        if (!hasOwn(dk, 'value')) refuse(pk, 'a getter');
        if (!dk.enumerable || dk.value === undefined) continue;
        out += (first ? '' : ',') + JSONStringify(k) + ':' + enc(dk.value, pk, keys + sep + JSONStringify(k), depth + 1);
        first = false;
      }
      ReflectApply(SetDelete, ancestors, [x]);
      return '{' + out + '}';
    }
    var json = v === undefined ? 'null' : enc(v, '', '', 0);
    lastJson = json;
    var payload = '[' + json + ',[' + specials + ']]';
    if (payload.length > limits.maxPayloadLength) {
      throw new Refused(root.context + ' is too large (more than ' + limits.maxPayloadLength + ' characters encoded)');
    }
    return payload;
  }

  function decode(payload) {
    var parsed = JSONParse(payload);
    var box = { root: parsed[0] };
    var specials = parsed[1];
    for (var i = 0; i < specials.length; i++) {
      var keys = specials[i][0];
      var parent = box;
      var key = 'root';
      for (var j = 0; j < keys.length; j++) { parent = parent[key]; key = keys[j]; }
      var name = specials[i][1];
      parent[key] =
        name === 'bigint' ? BigIntCtor(parent[key]) : name === 'NaN' ? NaN : name === 'Infinity' ? Infinity : -Infinity;
    }
    return box.root;
  }

  // A thrown value, described without running any learner code.
  function dataProp(o, k) {
    for (var depth = 0; o !== null && depth < 32; depth++) {
      if (isProxy(o)) return undefined;
      var d = getDesc(o, k);
      if (d) return hasOwn(d, 'value') ? d.value : undefined;
      o = getProto(o);
    }
    return undefined;
  }
  function clip(s) {
    return s.length > 2000 ? ReflectApply(StringSlice, s, [0, 2000]) + '…' : s;
  }
  function describeThrown(e) {
    var t = typeof e;
    if (t === 'object' && e !== null && !isProxy(e)) {
      var isError = false;
      for (var o = getProto(e), n = 0; o !== null && n < 32 && !isProxy(o); o = getProto(o), n++) {
        if (o === ErrorProto) { isError = true; break; }
      }
      if (isError) {
        var name = dataProp(e, 'name');
        var message = dataProp(e, 'message');
        return errorJson(typeof name === 'string' ? clip(name) : 'Error', typeof message === 'string' ? clip(message) : '');
      }
      var text;
      try { encode(e, { context: 'thrown value', name: 'value' }); text = lastJson; } catch (_) { text = describe(e); }
      return errorJson('Thrown', clip(text));
    }
    if (t === 'object' && e !== null) return errorJson('Thrown', 'a Proxy');
    if (t === 'string') return errorJson('Thrown', clip(e));
    if (t === 'symbol' || t === 'function') return errorJson('Thrown', describe(e));
    return errorJson('Thrown', StringCtor(e));
  }

  // console: formatted in the guest, capped in the guest and again on the host.
  var logRemaining = limits.maxOutputLength;
  function format(args) {
    var line = '';
    for (var i = 0; i < args.length; i++) {
      var a = args[i];
      var s;
      if (typeof a === 'string') s = a;
      else {
        try { encode(a, { context: 'console', name: 'value' }, true); s = lastJson; } catch (_) { s = typeof a === 'symbol' ? 'Symbol()' : describe(a); }
        if ((typeof a === 'number' && !NumberIsFinite(a)) || a === undefined) s = StringCtor(a);
      }
      line += (i === 0 ? '' : ' ') + s;
      if (line.length > logRemaining) break;
    }
    return line;
  }
  var logTruncated = false;
  function log() {
    if (logRemaining <= 0) {
      if (!logTruncated) hostLog('', true);
      logTruncated = true;
      return;
    }
    var line = format(arguments) + '\n';
    var cut = line.length > logRemaining;
    if (cut) line = ReflectApply(StringSlice, line, [0, logRemaining]);
    logRemaining -= line.length;
    logTruncated = cut;
    hostLog(line, cut);
  }
  var consoleObject = { log: log, info: log, warn: log, error: log, debug: log };
  freeze(consoleObject);
  defineProperty(G, 'console', { value: consoleObject, writable: true, configurable: true, enumerable: false });

  // Date on the guest's own clock (see the header): same prototype, so
  // instanceof and every method still work; only "now" comes from hostNow().
  var OrigDate = Date;
  var ReflectConstruct = Reflect.construct;
  var DateToString = OrigDate.prototype.toString;
  function GuestDate() {
    if (new.target === undefined) return ReflectApply(DateToString, ReflectConstruct(OrigDate, [hostNow()]), []);
    return ReflectConstruct(OrigDate, arguments.length === 0 ? [hostNow()] : arguments, new.target);
  }
  defineProperty(GuestDate, 'name', { value: 'Date', writable: false, enumerable: false, configurable: true });
  defineProperty(GuestDate, 'prototype', { value: OrigDate.prototype, writable: false, enumerable: false, configurable: false });
  defineProperty(GuestDate, 'now', { value: function now() { return hostNow(); }, writable: true, enumerable: false, configurable: true });
  defineProperty(GuestDate, 'parse', { value: OrigDate.parse, writable: true, enumerable: false, configurable: true });
  defineProperty(GuestDate, 'UTC', { value: OrigDate.UTC, writable: true, enumerable: false, configurable: true });
  defineProperty(OrigDate.prototype, 'constructor', { value: GuestDate, writable: true, enumerable: false, configurable: true });
  defineProperty(G, 'Date', { value: GuestDate, writable: true, configurable: true, enumerable: false });

  // Math.random from a fixed seed (xorshift128+ on 32-bit halves, as QuickJS's
  // own but not seeded from the time of day): the same submission draws the
  // same numbers on every run, so its verdict cannot change between gradings.
  var s0 = 0x9e3779b9 | 0, s1 = 0x243f6a88 | 0, s2 = 0xb7e15162 | 0, s3 = 0x8aed2a6b | 0;
  function random() {
    var t = s0 ^ (s0 << 11);
    s0 = s1; s1 = s2; s2 = s3;
    s3 = (s3 ^ (s3 >>> 19)) ^ (t ^ (t >>> 8));
    // 53 random bits from two draws would be exact; 32 are plenty here.
    return (s3 >>> 0) / 4294967296;
  }
  defineProperty(Math, 'random', { value: random, writable: true, enumerable: false, configurable: true });

  // A host function's answer: a number, boolean or null as is, 's' + a short
  // string, or an encoded payload.
  function hostResult(r) {
    if (typeof r !== 'string') return r;
    if (r.length > 0 && ReflectApply(StringCharCodeAt, r, [0]) === 115) return ReflectApply(StringSlice, r, [1]);
    return decode(r);
  }

  // The host API, e.g. globalThis.kernel.
  function hostFunction(name, fast) {
    return function () {
      var n = arguments.length;
      if (fastMaxArgs > 0 && n <= fastMaxArgs) {
        var ok = true;
        for (var j = 0; j < n; j++) if (!isFastValue(arguments[j])) { ok = false; break; }
        if (ok) return hostResult(ReflectApply(fast, undefined, arguments));
      }
      var args = [];
      for (var i = 0; i < arguments.length; i++) defineProperty(args, i, { value: arguments[i], writable: true, enumerable: true, configurable: true });
      var payload;
      try { payload = encode(args, { context: 'the arguments of ' + apiName + '.' + name + '()', name: 'args' }); }
      catch (e) { if (e instanceof Refused) throw new TypeErrorCtor(e.message); throw e; }
      return hostResult(hostCall(name, payload));
    };
  }
  // A name with a dot, 'group.method', is the method of a frozen object
  // 'group' on the API: kernel.hooks.cowBreak for 'hooks.cowBreak'.
  var api = {};
  var groups = [];
  for (var i = 0; i < apiNames.length; i++) {
    var name = apiNames[i];
    var dot = name.indexOf('.');
    var holder = api;
    if (dot >= 0) {
      var group = name.slice(0, dot);
      if (!ReflectApply(hasOwnProperty, api, [group])) {
        defineProperty(api, group, { value: {}, enumerable: true });
        groups.push(api[group]);
      }
      holder = api[group];
      name = name.slice(dot + 1);
    }
    defineProperty(holder, name, { value: hostFunction(apiNames[i], hostFastFns[i]), enumerable: true });
  }
  for (var g = 0; g < groups.length; g++) freeze(groups[g]);
  freeze(api);
  if (apiNames.length > 0) defineProperty(G, apiName, { value: api, writable: false, configurable: false, enumerable: false });

  function require(specifier) {
    throw new ErrorCtor('Cannot import "' + StringCtor(specifier) + '": modules are not available in the sandbox');
  }

  var moduleExports = null;
  function load(factory) {
    var module = { exports: {} };
    try { factory(module, module.exports, require); }
    catch (e) { return 'e' + describeThrown(e); }
    moduleExports = module.exports;
    var names = [];
    if (moduleExports !== null && (typeof moduleExports === 'object' || typeof moduleExports === 'function') && !isProxy(moduleExports)) {
      var ks = ownKeys(moduleExports);
      for (var j = 0; j < ks.length; j++) {
        var d = typeof ks[j] === 'string' ? getDesc(moduleExports, ks[j]) : undefined;
        if (d && d.enumerable) names[names.length] = ks[j];
      }
    }
    return 'v' + encode(names, { context: 'exports', name: 'exports' });
  }

  // Runs an export with an argument list: a decoded array, or the arguments
  // object of callFast (own data properties only).
  function invoke(name, args) {
    var fn;
    var result;
    try {
      fn = moduleExports === null || moduleExports === undefined ? undefined : moduleExports[name];
      if (typeof fn !== 'function') {
        return 'e' + errorJson('MissingExport', 'The module does not export a function named "' + name + '"');
      }
      result = ReflectApply(fn, undefined, args);
    } catch (e) { return 'e' + describeThrown(e); }
    // Fast path: a number or boolean as is, null/undefined as undefined, 's' + a short string.
    if (fastMaxArgs > 0) {
      var t = typeof result;
      if (t === 'number' || t === 'boolean') return result;
      if (result === null || result === undefined) return undefined;
      if (t === 'string' && isFastString(result)) return 's' + result;
    }
    try { return 'v' + encode(result, { context: 'the value returned by ' + name + '()', name: 'result' }); }
    catch (e) { if (e instanceof Refused) return 'x' + e.message; return 'e' + describeThrown(e); }
  }
  function call(name, payload) {
    var args;
    try { args = decode(payload); } catch (e) { return 'e' + describeThrown(e); }
    return invoke(name, args);
  }
  // The host passes the export's name as this and the arguments (primitives) as they are.
  function callFast() {
    return invoke(this, arguments);
  }

  return { load: load, call: call, callFast: callFast };
})`;
