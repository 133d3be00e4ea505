//! The shardis binary: reads the configuration, opens one listening socket per shard on the
//! same port (SO_REUSEPORT, so every core accepts), starts one pinned thread per shard, and
//! shuts everything down cleanly on SIGINT/SIGTERM or SHUTDOWN.

mod board;
mod config;
mod conn;
mod locks;
mod logging;
mod memory;
mod mesh;
mod message;
mod metrics;
mod recv_buffers;
mod runtime;
mod tx;

/// jemalloc, as Redis uses: size classes without a per-allocation header, and thread caches
/// that keep each shard's allocations on its own core — measurably less memory per key than
/// glibc malloc for the many small allocations a keyspace makes. Wrapped so a shard freeing
/// another shard's memory sends it straight home (see `memory::ShardAllocator`).
#[global_allocator]
static ALLOCATOR: memory::ShardAllocator = memory::ShardAllocator;

/// jemalloc's options, read when it starts: return freed pages to the system from a
/// background thread (Redis runs jemalloc the same way, jemalloc-bg-thread yes), so an
/// idle server's RSS follows its data down instead of waiting for the next allocation.
/// Dirty pages go back after 1 s rather than 10 s: under a cache's constant churn (evict,
/// insert) RSS then stays close to maxmemory.
#[export_name = "_rjem_malloc_conf"]
pub static JEMALLOC_OPTIONS: &[u8; 60] =
    b"background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0\0";
use shard::{Settings, Shard, SlotMap};
use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

fn main() {
    let flags = config::Flags::from_env();
    let config = match config::Config::load(flags) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("shardis: {err}");
            std::process::exit(1);
        }
    };
    let settings = &config.settings;
    if let Err(err) = logging::init(settings.loglevel.name(), &settings.logfile) {
        eprintln!("shardis: {err}");
        std::process::exit(1);
    }
    if let Err(err) = serve(config.settings) {
        log::error!("{err}");
        eprintln!("shardis: {err}");
        std::process::exit(1);
    }
}

fn serve(mut settings: Settings) -> std::io::Result<()> {
    // Signals are taken synchronously by this thread; every shard thread inherits the mask.
    let signals = block_signals();
    let ip: std::net::IpAddr = settings.bind.parse().map_err(std::io::Error::other)?;
    let shards = settings.shards;
    let mut listeners = Vec::with_capacity(shards);
    for _ in 0..shards {
        let fd = listen(SocketAddr::new(ip, settings.port))?;
        if settings.port == 0 {
            settings.port = local_port(fd)?;
        }
        listeners.push(fd);
    }
    // The command clock calibrates once here, not on some shard's first command.
    shard::clock::calibrate();
    let board = board::new_board(shards);
    let metrics = start_metrics(&settings, &board)?;
    // The slot table lives as long as the process; shards share it read-only.
    let slot_map: &'static SlotMap = Box::leak(Box::new(SlotMap::contiguous(shards)));
    let endpoints = mesh::build(shards)?;
    let mesh = endpoints[0].mesh.clone();
    let cpus = allowed_cpus();
    // What the background freeing thread frees is counted by the shards' arenas once its
    // cache goes back to them.
    shard::lazyfree::set_idle_hook(memory::flush_thread_cache);
    // Freeing is never urgent: the freeing thread runs only when no shard wants the CPU,
    // so a big DEL never delays the shard thread it shares a core with.
    shard::lazyfree::set_start_hook(run_only_when_idle);
    // Everything allocated so far (rings, tables) lives outside the shards for good.
    let memory_outside_shards = memory::allocated();
    memory::add_startup(memory_outside_shards);
    memory::set_outside_shards(memory_outside_shards);
    let started_ms = runtime::now_ms();
    // One numbering for every shard's slow log (SLOWLOG GET shows them merged).
    let slowlog_ids = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut threads = Vec::with_capacity(shards);
    for (id, (endpoint, listener)) in endpoints.into_iter().zip(listeners).enumerate() {
        let settings = settings.clone();
        let board = board.clone();
        let slowlog_ids = slowlog_ids.clone();
        let cpu = (settings.cpu_pinning && !cpus.is_empty()).then(|| cpus[id % cpus.len()]);
        let thread = std::thread::Builder::new()
            .name(format!("shard-{id}"))
            .spawn(move || {
                if let Some(cpu) = cpu {
                    pin_to_cpu(cpu);
                }
                // Before anything of the shard's is allocated: its own allocator arena.
                let meter = memory::ArenaMeter::bind_current_thread();
                let mut shard = Shard::new(id, slot_map, settings);
                shard.started_ms = started_ms;
                shard.slowlog.share_ids(slowlog_ids);
                shard.memory_outside_shards = memory_outside_shards;
                match meter {
                    Some(meter) => shard.memory = Box::new(meter),
                    None => log::warn!("shard {id}: no allocator arena, maxmemory is not enforced"),
                }
                let result =
                    runtime::Runtime::new(shard, endpoint, listener, board).and_then(|mut rt| {
                        let result = rt.run();
                        rt.close_all();
                        result
                    });
                // SAFETY: the listener belongs to this shard and is closed once, after its loop.
                unsafe { libc::close(listener) };
                if let Err(err) = result {
                    log::error!("shard {id} stopped: {err}");
                    runtime::SHUTDOWN.store(true, Ordering::SeqCst);
                }
            })?;
        threads.push(thread);
    }
    let addr = SocketAddr::new(ip, settings.port);
    // Tests and scripts read these two lines to find the ports.
    println!("shardis listening on {addr} shards={shards}");
    if let Some((metrics_addr, _)) = &metrics {
        println!("shardis metrics on http://{metrics_addr}/metrics");
    }
    let _ = std::io::stdout().flush();
    log::info!(
        "Shardis {} ready to accept connections on {addr} with {shards} shards",
        env!("CARGO_PKG_VERSION")
    );
    notify_systemd("READY=1");
    wait_for_signal(&signals);
    log::info!("Received a shutdown request, stopping every shard");
    notify_systemd("STOPPING=1");
    runtime::SHUTDOWN.store(true, Ordering::SeqCst);
    for waker in &mesh.wakers {
        waker.wake();
    }
    for thread in threads {
        let _ = thread.join();
    }
    if let Some((_, thread)) = metrics {
        let _ = thread.join();
    }
    log::info!("Shardis is now ready to exit, bye bye...");
    println!("shardis: shut down");
    Ok(())
}

/// The Prometheus endpoint on its own thread, reading what the shards publish (none when
/// metrics-port is 0).
fn start_metrics(
    settings: &Settings,
    board: &board::Board,
) -> std::io::Result<Option<(SocketAddr, std::thread::JoinHandle<()>)>> {
    if settings.metrics_port == 0 {
        return Ok(None);
    }
    let ip: std::net::IpAddr = settings
        .metrics_bind
        .parse()
        .map_err(std::io::Error::other)?;
    let board = board.clone();
    let (port, thread) = metrics::spawn(
        ip,
        settings.metrics_port,
        settings.metrics_namespace.clone(),
        Box::new(move || board::metrics_input(&board)),
    )
    .map_err(|err| {
        std::io::Error::new(
            err.kind(),
            format!(
                "cannot serve metrics on {ip}:{}: {err}",
                settings.metrics_port
            ),
        )
    })?;
    Ok(Some((SocketAddr::new(ip, port), thread)))
}

/// Put the calling thread in the SCHED_IDLE class (Linux): it gets a CPU only when nothing
/// else wants it.
fn run_only_when_idle() {
    // SAFETY: sched_setscheduler on the calling thread (0) with a zeroed, valid param.
    let rc = unsafe {
        let param: libc::sched_param = std::mem::zeroed();
        libc::sched_setscheduler(0, libc::SCHED_IDLE, &param)
    };
    if rc != 0 {
        log::debug!(
            "lazyfree thread keeps its priority: {}",
            std::io::Error::last_os_error()
        );
    }
}

/// Tell systemd (Type=notify units) about readiness or shutdown, if it is listening.
fn notify_systemd(state: &str) {
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::net::{SocketAddr as UnixAddr, UnixDatagram};
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
        return;
    };
    let path = path.to_string_lossy().into_owned();
    let addr = match path.strip_prefix('@') {
        Some(name) => UnixAddr::from_abstract_name(name.as_bytes()),
        None => UnixAddr::from_pathname(&path),
    };
    if let (Ok(socket), Ok(addr)) = (UnixDatagram::unbound(), addr) {
        let _ = socket.send_to_addr(state.as_bytes(), &addr);
    }
}

fn block_signals() -> libc::sigset_t {
    // SAFETY: sigset manipulation on a local set, then masking this thread's signals.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        // A client that disconnects mid-write must not kill the process.
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        set
    }
}

fn wait_for_signal(set: &libc::sigset_t) {
    loop {
        let mut signal: libc::c_int = 0;
        // SAFETY: sigwait on a set of blocked signals, writing into a local.
        let rc = unsafe { libc::sigwait(set, &mut signal) };
        if rc == 0 && (signal == libc::SIGINT || signal == libc::SIGTERM) {
            return;
        }
        if runtime::SHUTDOWN.load(Ordering::SeqCst) {
            return;
        }
    }
}

/// A non-blocking listening socket with SO_REUSEPORT so each shard can own one.
fn listen(addr: SocketAddr) -> std::io::Result<libc::c_int> {
    let domain = if addr.is_ipv4() {
        libc::AF_INET
    } else {
        libc::AF_INET6
    };
    // SAFETY: plain socket syscalls on a descriptor this function owns; sockaddr structs are
    // fully initialised before use and their sizes passed exactly.
    unsafe {
        let fd = libc::socket(domain, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let one: libc::c_int = 1;
        for option in [libc::SO_REUSEADDR, libc::SO_REUSEPORT] {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                option,
                (&one as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
        let rc = match addr {
            SocketAddr::V4(v4) => {
                let mut sa: libc::sockaddr_in = std::mem::zeroed();
                sa.sin_family = libc::AF_INET as libc::sa_family_t;
                sa.sin_port = v4.port().to_be();
                sa.sin_addr.s_addr = u32::from(*v4.ip()).to_be();
                libc::bind(
                    fd,
                    (&sa as *const libc::sockaddr_in).cast(),
                    std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
                )
            }
            SocketAddr::V6(v6) => {
                let mut sa: libc::sockaddr_in6 = std::mem::zeroed();
                sa.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                sa.sin6_port = v6.port().to_be();
                sa.sin6_addr.s6_addr = v6.ip().octets();
                libc::bind(
                    fd,
                    (&sa as *const libc::sockaddr_in6).cast(),
                    std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t,
                )
            }
        };
        if rc != 0 || libc::listen(fd, 511) != 0 {
            let err = std::io::Error::last_os_error();
            libc::close(fd);
            return Err(std::io::Error::new(
                err.kind(),
                format!("cannot listen on {addr}: {err}"),
            ));
        }
        Ok(fd)
    }
}

fn local_port(fd: libc::c_int) -> std::io::Result<u16> {
    // SAFETY: getsockname fills a zeroed sockaddr_storage of the size we pass.
    unsafe {
        let mut storage: libc::sockaddr_storage = std::mem::zeroed();
        let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        if libc::getsockname(
            fd,
            (&mut storage as *mut libc::sockaddr_storage).cast(),
            &mut len,
        ) != 0
        {
            return Err(std::io::Error::last_os_error());
        }
        Ok(match storage.ss_family as libc::c_int {
            libc::AF_INET6 => {
                u16::from_be((*(&storage as *const _ as *const libc::sockaddr_in6)).sin6_port)
            }
            _ => u16::from_be((*(&storage as *const _ as *const libc::sockaddr_in)).sin_port),
        })
    }
}

/// CPUs this process may run on (respects taskset/cgroups).
fn allowed_cpus() -> Vec<usize> {
    // SAFETY: sched_getaffinity fills a zeroed cpu_set_t of the size we pass.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return Vec::new();
        }
        (0..libc::CPU_SETSIZE as usize)
            .filter(|&cpu| libc::CPU_ISSET(cpu, &set))
            .collect()
    }
}

fn pin_to_cpu(cpu: usize) {
    // SAFETY: building a cpu_set_t with one CPU and applying it to the calling thread.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}
