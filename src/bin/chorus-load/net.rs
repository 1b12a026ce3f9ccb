//! Sockets, the one HTTP request the tool makes, clocks and `/proc` readings.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, anyhow, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Wall-clock microseconds since the Unix epoch: the one clock every process of a run shares.
pub fn now_us() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as u64).unwrap_or(0)
}

/// Resolves `--addr` (`127.0.0.1:8080`, `localhost:8080`, `http://127.0.0.1:8080/`) and
/// refuses anything that is not on this machine's loopback range.
pub async fn loopback_target(addr: &str) -> anyhow::Result<SocketAddr> {
    let trimmed = addr.trim();
    let without_scheme = trimmed.strip_prefix("http://").or_else(|| trimmed.strip_prefix("ws://")).unwrap_or(trimmed);
    if without_scheme.contains("://") {
        bail!("{addr}: only http:// (or ws://) to a loopback address is supported");
    }
    let host_port = without_scheme.split('/').next().unwrap_or_default();
    let resolved: Vec<SocketAddr> = tokio::net::lookup_host(host_port)
        .await
        .with_context(|| format!("cannot resolve {host_port} (give host:port)"))?
        .collect();
    if resolved.is_empty() {
        bail!("{host_port} resolves to no address");
    }
    if let Some(bad) = resolved.iter().find(|a| !a.ip().is_loopback()) {
        bail!("refusing {bad}: chorus-load only sends load to this machine's loopback range (127.0.0.0/8, ::1)");
    }
    Ok(resolved.iter().find(|a| a.is_ipv4()).copied().unwrap_or(resolved[0]))
}

/// The client's WebSocket settings: small buffers, so that tens of thousands of phones fit.
pub fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
        .max_write_buffer_size(1 << 20)
        .max_message_size(Some(4 << 20))
        .max_frame_size(Some(4 << 20))
}

/// Connects a TCP socket from `source` (any port) to `target`, with Nagle off.
pub async fn tcp_from(source: Option<Ipv4Addr>, target: SocketAddr) -> std::io::Result<TcpStream> {
    let stream = match (source, target) {
        (Some(src), SocketAddr::V4(_)) => {
            let socket = TcpSocket::new_v4()?;
            socket.bind(SocketAddr::new(IpAddr::V4(src), 0))?;
            socket.connect(target).await?
        }
        _ => TcpStream::connect(target).await?,
    };
    stream.set_nodelay(true)?;
    Ok(stream)
}

pub type Ws = WebSocketStream<TcpStream>;

/// Opens `GET /ws` from `source`.
pub async fn open_ws(source: Option<Ipv4Addr>, target: SocketAddr) -> Result<Ws, OpenError> {
    let stream = tcp_from(source, target).await.map_err(OpenError::Connect)?;
    let url = format!("ws://{target}/ws");
    let (ws, _response) = tokio_tungstenite::client_async_with_config(url, stream, Some(ws_config()))
        .await
        .map_err(|e| OpenError::Handshake(e.to_string()))?;
    Ok(ws)
}

#[derive(Debug)]
pub enum OpenError {
    Connect(std::io::Error),
    Handshake(String),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Connect(e) => write!(f, "connect: {e}"),
            OpenError::Handshake(e) => write!(f, "handshake: {e}"),
        }
    }
}

/// One plain HTTP/1.1 request (`Connection: close`); answers the status and the body.
pub async fn http(
    target: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&str>,
    bearer: Option<&str>,
) -> anyhow::Result<(u16, String)> {
    let work = async {
        let mut stream = TcpStream::connect(target).await.with_context(|| format!("cannot connect to {target}"))?;
        let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {target}\r\nConnection: close\r\n");
        if let Some(key) = bearer {
            request.push_str(&format!("Authorization: Bearer {key}\r\n"));
        }
        let body = body.unwrap_or("");
        if !body.is_empty() || method == "POST" || method == "PUT" {
            request.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", body.len()));
        }
        request.push_str("\r\n");
        request.push_str(body);
        stream.write_all(request.as_bytes()).await?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await?;
        parse_response(&raw)
    };
    tokio::time::timeout(Duration::from_secs(15), work)
        .await
        .map_err(|_| anyhow!("{method} {path}: no answer in 15 s"))?
}

fn parse_response(raw: &[u8]) -> anyhow::Result<(u16, String)> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(|| anyhow!("malformed HTTP answer"))?;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut body = raw[split + 4..].to_vec();
    let status: u16 =
        head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| anyhow!("malformed status line"))?;
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase().starts_with("transfer-encoding:") && l.to_ascii_lowercase().contains("chunked")
    });
    if chunked {
        let mut out = Vec::new();
        let mut rest = &body[..];
        while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
            let size = usize::from_str_radix(String::from_utf8_lossy(&rest[..eol]).trim(), 16).unwrap_or(0);
            if size == 0 {
                break;
            }
            let start = eol + 2;
            let end = (start + size).min(rest.len());
            out.extend_from_slice(&rest[start..end]);
            rest = &rest[(end + 2).min(rest.len())..];
        }
        body = out;
    }
    Ok((status, String::from_utf8_lossy(&body).to_string()))
}

/// What `/proc` says about a process.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
pub struct ProcSample {
    pub at_us: u64,
    /// User + system CPU, in clock ticks.
    pub cpu_ticks: u64,
    /// Page faults served without and with a read from disk (`stat` fields 10 and 12).
    pub minflt: u64,
    pub majflt: u64,
    pub rss_kb: u64,
    pub hwm_kb: u64,
    pub threads: u64,
    pub fds: u64,
    /// Summed over the process's threads (`/proc/<pid>/task/*/schedstat`): nanoseconds on a
    /// CPU, and nanoseconds runnable but waiting for one (CPU contention).
    pub run_ns: u64,
    pub wait_ns: u64,
}

pub fn proc_sample(pid: u32) -> Option<ProcSample> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // fields[0] is field 3 (state): utime is field 14, stime field 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    let minflt: u64 = fields.get(7)?.parse().ok()?;
    let majflt: u64 = fields.get(9)?.parse().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).map(|d| d.count() as u64).unwrap_or(0);
    let (mut run_ns, mut wait_ns) = (0u64, 0u64);
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for task in tasks.flatten() {
            if let Ok(text) = std::fs::read_to_string(task.path().join("schedstat")) {
                let mut it = text.split_whitespace().map(|v| v.parse::<u64>().unwrap_or(0));
                run_ns += it.next().unwrap_or(0);
                wait_ns += it.next().unwrap_or(0);
            }
        }
    }
    Some(ProcSample {
        run_ns,
        wait_ns,
        at_us: now_us(),
        cpu_ticks: utime + stime,
        minflt,
        majflt,
        rss_kb: field("VmRSS:"),
        hwm_kb: field("VmHWM:"),
        threads: field("Threads:"),
        fds,
    })
}

/// `GET /metrics` of the server, if it has one: every sample by its name and labels.
pub async fn scrape_metrics(target: SocketAddr) -> Option<std::collections::BTreeMap<String, f64>> {
    let (status, body) = http(target, "GET", "/metrics", None, None).await.ok()?;
    if status != 200 {
        return None;
    }
    let mut out = std::collections::BTreeMap::new();
    for line in body.lines().filter(|l| !l.starts_with('#')) {
        if let Some((name, value)) = line.rsplit_once(' ')
            && let Ok(value) = value.trim().parse::<f64>()
        {
            out.insert(name.trim().to_owned(), value);
        }
    }
    Some(out)
}

/// This process's CPU ticks so far.
pub fn own_cpu_ticks() -> u64 {
    proc_sample(std::process::id()).map(|s| s.cpu_ticks).unwrap_or(0)
}

/// This process's time on a CPU (ns, from its threads' `schedstat`) and minor page faults.
pub fn own_usage() -> (u64, u64) {
    proc_sample(std::process::id()).map_or((0, 0), |s| (s.run_ns, s.minflt))
}

/// The load average over the last minute (`/proc/loadavg`).
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg").ok()?.split_whitespace().next()?.parse().ok()
}

/// Clock ticks per second (`getconf CLK_TCK`, 100 on Linux).
pub fn clock_ticks() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .filter(|t: &u64| *t > 0)
        .unwrap_or(100)
}

/// Kernel TCP memory in pages (`/proc/net/sockstat`, `TCP: … mem N`), and sockets in use.
pub fn tcp_kernel_pages() -> Option<(u64, u64)> {
    let text = std::fs::read_to_string("/proc/net/sockstat").ok()?;
    let line = text.lines().find(|l| l.starts_with("TCP:"))?;
    let words: Vec<&str> = line.split_whitespace().collect();
    let value =
        |key: &str| words.iter().position(|w| *w == key).and_then(|i| words.get(i + 1)).and_then(|v| v.parse().ok());
    Some((value("mem")?, value("inuse")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_chunked_answers() {
        let (status, body) = parse_response(b"HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\n{}").expect("plain");
        assert_eq!((status, body.as_str()), (201, "{}"));
        let (status, body) =
            parse_response(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
                .expect("chunked");
        assert_eq!((status, body.as_str()), (200, "abcde"));
    }

    #[tokio::test]
    async fn refuses_other_addresses() {
        assert!(loopback_target("127.0.0.1:9").await.is_ok());
        assert!(loopback_target("http://localhost:9/").await.is_ok());
        assert!(loopback_target("192.168.1.10:80").await.is_err());
        assert!(loopback_target("10.0.0.1:80").await.is_err());
    }
}
