import Database from 'better-sqlite3';

/**
 * One daemon per home: whoever holds an exclusive SQLite lock on `daemon.lock` is the daemon. The lock
 * is an fcntl lock held by the open connection, so the kernel releases it when the process dies, even
 * by SIGKILL: no stale lock to clean up, and two daemons racing to start end with one.
 */
export class DaemonLock {
  private constructor(private readonly db: Database.Database) {}

  /** The lock, or null when another live daemon holds it. */
  static acquire(path: string): DaemonLock | null {
    const db = new Database(path);
    db.pragma('busy_timeout = 0');
    try {
      db.exec('BEGIN EXCLUSIVE');
      return new DaemonLock(db);
    } catch (error) {
      db.close();
      if ((error as { code?: string }).code === 'SQLITE_BUSY') return null;
      throw error;
    }
  }

  release(): void {
    this.db.close();
  }
}
