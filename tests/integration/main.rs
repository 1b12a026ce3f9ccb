//! Integration tests: the real server on a free port, real WebSocket and HTTP clients.

mod bad_input;
mod choice;
mod cluster;
mod common;
mod crash;
mod export;
mod findings;
mod fixture;
mod groups;
mod hardening;
mod http;
mod integrity;
mod jamboard;
mod live;
mod load_cluster;
mod points;
mod postgres;
mod ranking;
mod report;
mod restart;
mod rfc6455;
mod room;
mod slow;
mod storage;
mod storm;
mod wordcloud;
