/**
 * OneRoster 1.1 CSV over SFTP: the source adapter and the host key fingerprint helpers it verifies
 * servers with.
 */
export * as OneRosterSftpSource from "./OneRosterSftpSource";
export * as SftpHostKey from "./HostKey";
