//! body-mask: a Proxy-Wasm ABI 0.2.1 HTTP filter in Rust without an SDK (Debian's rustc, wasm32-unknown-unknown
//! cdylib), the host functions declared by hand.
//!
//! Configuration (JSON): {"mask": "<field>"}; anything else is refused.
//! - Request headers: adds x-request-id, replaces user-agent, removes x-debug (and content-length when a body follows).
//! - Request and response bodies: the JSON string value of the masked field is replaced by asterisks.
//! - Response headers: adds x-body-mask, replaces server, records :status in a gauge.
//! - Metrics, shared data (the last path seen), a 200 ms tick, the VM configuration and properties read and logged.

use std::collections::HashMap;

type WasmResult = u32;
const OK: WasmResult = 0;

const LOG_TRACE: u32 = 0;
const LOG_DEBUG: u32 = 1;
const LOG_INFO: u32 = 2;
const LOG_WARN: u32 = 3;
const LOG_ERROR: u32 = 4;

const REQUEST_HEADERS: u32 = 0;
const RESPONSE_HEADERS: u32 = 2;
const REQUEST_BODY: u32 = 0;
const RESPONSE_BODY: u32 = 1;
const VM_CONFIGURATION: u32 = 6;
const PLUGIN_CONFIGURATION: u32 = 7;

const COUNTER: u32 = 0;
const GAUGE: u32 = 1;
const HISTOGRAM: u32 = 2;

const CONTINUE: u32 = 0;

#[link(wasm_import_module = "env")]
extern "C" {
    fn proxy_log(level: u32, message: *const u8, size: usize) -> WasmResult;
    fn proxy_get_log_level(level: *mut u32) -> WasmResult;
    fn proxy_get_buffer_bytes(kind: u32, start: usize, max: usize, data: *mut *mut u8, size: *mut usize) -> WasmResult;
    fn proxy_set_buffer_bytes(kind: u32, start: usize, size: usize, data: *const u8, data_size: usize) -> WasmResult;
    fn proxy_get_header_map_pairs(map: u32, data: *mut *mut u8, size: *mut usize) -> WasmResult;
    fn proxy_get_header_map_value(map: u32, key: *const u8, key_size: usize, value: *mut *mut u8, value_size: *mut usize) -> WasmResult;
    fn proxy_add_header_map_value(map: u32, key: *const u8, key_size: usize, value: *const u8, value_size: usize) -> WasmResult;
    fn proxy_replace_header_map_value(map: u32, key: *const u8, key_size: usize, value: *const u8, value_size: usize) -> WasmResult;
    fn proxy_remove_header_map_value(map: u32, key: *const u8, key_size: usize) -> WasmResult;
    fn proxy_get_property(path: *const u8, path_size: usize, value: *mut *mut u8, value_size: *mut usize) -> WasmResult;
    fn proxy_set_shared_data(key: *const u8, key_size: usize, value: *const u8, value_size: usize, cas: u32) -> WasmResult;
    fn proxy_get_shared_data(key: *const u8, key_size: usize, value: *mut *mut u8, value_size: *mut usize, cas: *mut u32) -> WasmResult;
    fn proxy_define_metric(kind: u32, name: *const u8, name_size: usize, id: *mut u32) -> WasmResult;
    fn proxy_increment_metric(id: u32, offset: i64) -> WasmResult;
    fn proxy_record_metric(id: u32, value: u64) -> WasmResult;
    fn proxy_get_metric(id: u32, value: *mut u64) -> WasmResult;
    fn proxy_set_tick_period_milliseconds(period: u32) -> WasmResult;
}

#[no_mangle]
pub extern "C" fn proxy_abi_version_0_2_1() {}

/// The host allocates what it returns through this export; the bytes are taken back as a Vec of that size.
#[no_mangle]
pub extern "C" fn proxy_on_memory_allocate(size: usize) -> *mut u8 {
    let mut bytes = Vec::<u8>::with_capacity(size);
    let data = bytes.as_mut_ptr();
    std::mem::forget(bytes);
    data
}

fn taken(result: WasmResult, data: *mut u8, size: usize) -> Option<Vec<u8>> {
    if result != OK {
        return None;
    }
    if data.is_null() || size == 0 {
        return Some(Vec::new());
    }
    Some(unsafe { Vec::from_raw_parts(data, size, size) })
}

fn text(bytes: Option<Vec<u8>>) -> Option<String> {
    bytes.map(|b| String::from_utf8_lossy(&b).into_owned())
}

fn log(level: u32, message: &str) {
    unsafe { proxy_log(level, message.as_ptr(), message.len()) };
}

fn buffer(kind: u32, size: usize) -> Option<Vec<u8>> {
    let (mut data, mut data_size) = (std::ptr::null_mut(), 0);
    taken(unsafe { proxy_get_buffer_bytes(kind, 0, size, &mut data, &mut data_size) }, data, data_size)
}

fn header(map: u32, name: &str) -> Option<String> {
    let (mut data, mut size) = (std::ptr::null_mut(), 0);
    text(taken(unsafe { proxy_get_header_map_value(map, name.as_ptr(), name.len(), &mut data, &mut size) }, data, size))
}

fn header_count(map: u32) -> usize {
    let (mut data, mut size) = (std::ptr::null_mut(), 0);
    let pairs = taken(unsafe { proxy_get_header_map_pairs(map, &mut data, &mut size) }, data, size).unwrap_or_default();
    if pairs.len() < 4 {
        return 0;
    }
    u32::from_le_bytes([pairs[0], pairs[1], pairs[2], pairs[3]]) as usize
}

fn add_header(map: u32, name: &str, value: &str) {
    unsafe { proxy_add_header_map_value(map, name.as_ptr(), name.len(), value.as_ptr(), value.len()) };
}

fn replace_header(map: u32, name: &str, value: &str) {
    unsafe { proxy_replace_header_map_value(map, name.as_ptr(), name.len(), value.as_ptr(), value.len()) };
}

fn remove_header(map: u32, name: &str) {
    unsafe { proxy_remove_header_map_value(map, name.as_ptr(), name.len()) };
}

/// A property path: its segments joined by NUL, as the ABI asks.
fn property(segments: &[&str]) -> Option<String> {
    let path = segments.join("\0");
    let (mut data, mut size) = (std::ptr::null_mut(), 0);
    text(taken(unsafe { proxy_get_property(path.as_ptr(), path.len(), &mut data, &mut size) }, data, size))
}

fn shared_data(key: &str) -> Option<(String, u32)> {
    let (mut data, mut size, mut cas) = (std::ptr::null_mut(), 0, 0);
    let result = unsafe { proxy_get_shared_data(key.as_ptr(), key.len(), &mut data, &mut size, &mut cas) };
    text(taken(result, data, size)).map(|value| (value, cas))
}

fn set_shared_data(key: &str, value: &str, cas: u32) -> WasmResult {
    unsafe { proxy_set_shared_data(key.as_ptr(), key.len(), value.as_ptr(), value.len(), cas) }
}

fn define_metric(kind: u32, name: &str) -> u32 {
    let mut id = 0;
    unsafe { proxy_define_metric(kind, name.as_ptr(), name.len(), &mut id) };
    id
}

fn metric(id: u32) -> u64 {
    let mut value = 0;
    unsafe { proxy_get_metric(id, &mut value) };
    value
}

/// `"field": "value"` in flat JSON: the byte range of value.
fn json_string_range(json: &[u8], field: &str) -> Option<(usize, usize)> {
    let quoted = format!("\"{}\"", field);
    let key = json.windows(quoted.len()).position(|w| w == quoted.as_bytes())?;
    let mut at = key + quoted.len();
    while at < json.len() && (json[at] == b' ' || json[at] == b':') {
        at += 1;
    }
    if json.get(at) != Some(&b'"') {
        return None;
    }
    let start = at + 1;
    let end = start + json[start..].iter().position(|&b| b == b'"')?;
    Some((start, end))
}

struct Metrics {
    masked: u32,
    body_bytes: u32,
    last_status: u32,
}

struct Plugin {
    /// Root context → the field to mask, for each accepted configuration.
    masks: HashMap<u32, String>,
    /// Stream context → its root context.
    streams: HashMap<u32, u32>,
    metrics: Option<Metrics>,
}

static mut PLUGIN: Option<Plugin> = None;

fn plugin() -> &'static mut Plugin {
    // One thread, and the host never re-enters a callback.
    unsafe { PLUGIN.get_or_insert_with(|| Plugin { masks: HashMap::new(), streams: HashMap::new(), metrics: None }) }
}

fn mask_of(stream: u32) -> Option<String> {
    let p = plugin();
    p.streams.get(&stream).and_then(|root| p.masks.get(root)).cloned()
}

/// Replaces the masked field's value in the body buffer; returns how many bytes were masked.
fn mask_body(kind: u32, size: usize, field: &str) -> usize {
    let mut body = match buffer(kind, size) {
        Some(body) => body,
        None => return 0,
    };
    let (start, end) = match json_string_range(&body, field) {
        Some(range) => range,
        None => return 0,
    };
    for b in &mut body[start..end] {
        *b = b'*';
    }
    unsafe { proxy_set_buffer_bytes(kind, 0, size, body.as_ptr(), body.len()) };
    end - start
}

#[no_mangle]
pub extern "C" fn proxy_on_context_create(id: u32, parent: u32) {
    if parent != 0 {
        plugin().streams.insert(id, parent);
    }
}

#[no_mangle]
pub extern "C" fn proxy_on_vm_start(_root: u32, size: usize) -> u32 {
    let configuration = text(buffer(VM_CONFIGURATION, size)).unwrap_or_default();
    let mut level = 0;
    unsafe { proxy_get_log_level(&mut level) };
    log(LOG_INFO, &format!("body-mask VM started with \"{}\" (host log level {})", configuration, level));
    plugin().metrics = Some(Metrics {
        masked: define_metric(COUNTER, "body_mask.masked_fields"),
        body_bytes: define_metric(HISTOGRAM, "body_mask.request_body_bytes"),
        last_status: define_metric(GAUGE, "body_mask.last_status"),
    });
    1
}

#[no_mangle]
pub extern "C" fn proxy_on_configure(root: u32, size: usize) -> u32 {
    let json = buffer(PLUGIN_CONFIGURATION, size).unwrap_or_default();
    let field = match json_string_range(&json, "mask") {
        Some((start, end)) if end > start => String::from_utf8_lossy(&json[start..end]).into_owned(),
        _ => {
            log(LOG_ERROR, &format!("configuration refused: expected {{\"mask\": \"<field>\"}}, got {:?}", String::from_utf8_lossy(&json)));
            return 0;
        }
    };
    let root_id = property(&["plugin_root_id"]).unwrap_or_default();
    log(LOG_INFO, &format!("root {} masks \"{}\"", root_id, field));
    plugin().masks.insert(root, field);
    unsafe { proxy_set_tick_period_milliseconds(200) };
    1
}

#[no_mangle]
pub extern "C" fn proxy_on_request_headers(id: u32, _headers: usize, end_of_stream: u32) -> u32 {
    let count = header_count(REQUEST_HEADERS);
    let path = property(&["request", "path"]).unwrap_or_default();
    log(LOG_DEBUG, &format!("{} request headers for {}", count, path));
    add_header(REQUEST_HEADERS, "x-request-id", &format!("body-mask-{}", id));
    if header(REQUEST_HEADERS, "user-agent").is_some() {
        replace_header(REQUEST_HEADERS, "user-agent", "body-mask/1.0");
    }
    if header(REQUEST_HEADERS, "x-debug").is_some() {
        log(LOG_WARN, "x-debug header removed");
        remove_header(REQUEST_HEADERS, "x-debug");
    }
    // The body may change size.
    if end_of_stream == 0 {
        remove_header(REQUEST_HEADERS, "content-length");
    }
    CONTINUE
}

#[no_mangle]
pub extern "C" fn proxy_on_request_body(id: u32, size: usize, end_of_stream: u32) -> u32 {
    if end_of_stream == 0 {
        return CONTINUE;
    }
    if let Some(metrics) = &plugin().metrics {
        unsafe { proxy_record_metric(metrics.body_bytes, size as u64) };
    }
    if let Some(field) = mask_of(id) {
        let masked = mask_body(REQUEST_BODY, size, &field);
        if masked > 0 {
            if let Some(metrics) = &plugin().metrics {
                unsafe { proxy_increment_metric(metrics.masked, 1) };
            }
            log(LOG_INFO, &format!("masked {} bytes of \"{}\" in the request body", masked, field));
        }
    }
    CONTINUE
}

#[no_mangle]
pub extern "C" fn proxy_on_response_headers(_id: u32, _headers: usize, _end_of_stream: u32) -> u32 {
    add_header(RESPONSE_HEADERS, "x-body-mask", "on");
    replace_header(RESPONSE_HEADERS, "server", "body-mask");
    let status = header(RESPONSE_HEADERS, ":status").and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
    if let Some(metrics) = &plugin().metrics {
        unsafe { proxy_record_metric(metrics.last_status, status) };
    }
    CONTINUE
}

#[no_mangle]
pub extern "C" fn proxy_on_response_body(id: u32, size: usize, end_of_stream: u32) -> u32 {
    if end_of_stream == 0 {
        return CONTINUE;
    }
    if let Some(field) = mask_of(id) {
        let masked = mask_body(RESPONSE_BODY, size, &field);
        if masked > 0 {
            log(LOG_INFO, &format!("masked {} bytes of \"{}\" in the response body", masked, field));
        }
    }
    CONTINUE
}

#[no_mangle]
pub extern "C" fn proxy_on_log(_id: u32) {
    let path = property(&["request", "path"]).unwrap_or_default();
    let previous = shared_data("body_mask.last_path");
    let cas = previous.as_ref().map(|(_, cas)| *cas).unwrap_or(0);
    let result = set_shared_data("body_mask.last_path", &path, cas);
    let previous = previous.map(|(value, _)| value).unwrap_or_else(|| "(none)".to_string());
    log(LOG_TRACE, &format!("path {} after {} (set: {})", path, previous, result));
}

#[no_mangle]
pub extern "C" fn proxy_on_done(_id: u32) -> u32 {
    1
}

#[no_mangle]
pub extern "C" fn proxy_on_delete(id: u32) {
    plugin().streams.remove(&id);
}

#[no_mangle]
pub extern "C" fn proxy_on_tick(root: u32) {
    let masked = plugin().metrics.as_ref().map(|m| metric(m.masked)).unwrap_or(0);
    log(LOG_DEBUG, &format!("tick on root {}: {} fields masked so far", root, masked));
    set_shared_data("body_mask.masked_at_tick", &masked.to_string(), 0);
}
