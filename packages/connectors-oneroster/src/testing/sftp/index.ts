/**
 * Test kit for SFTP: a real OpenSSH sshd on loopback with fresh keys, and network faults (a proxy
 * that stalls on demand, a server that never answers).
 */
export * as TestSshd from "./TestSshd";
export * as TcpProxy from "./TcpProxy";
