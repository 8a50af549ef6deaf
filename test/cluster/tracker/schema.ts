import type { Pool } from "mysql2/promise";

// MogileFS schema version 17, as MogileFS::Store (with Store::MySQL's filters and
// upgrades) leaves a fresh MySQL/MariaDB database after `mogdbsetup`: fid columns
// BIGINT (Store::MySQL's default for new databases), the enums widened by the
// upgrade steps, `class.replpolicy` appended, every table InnoDB. The original
// mogilefsd can take over a database created here.
export const SCHEMA_VERSION = 17;

const TABLES: Array<[string, string]> = [
  [
    "domain",
    `CREATE TABLE domain (
    dmid         SMALLINT UNSIGNED NOT NULL PRIMARY KEY,
    namespace    VARCHAR(255),
    UNIQUE (namespace)
    )`,
  ],
  [
    "class",
    `CREATE TABLE class (
    dmid          SMALLINT UNSIGNED NOT NULL,
    classid       TINYINT UNSIGNED NOT NULL,
    PRIMARY KEY (dmid,classid),
    classname     VARCHAR(50),
    UNIQUE      (dmid,classname),
    mindevcount   TINYINT UNSIGNED NOT NULL,
    hashtype  TINYINT UNSIGNED
    )`,
  ],
  [
    "file",
    `CREATE TABLE file (
    fid          BIGINT UNSIGNED NOT NULL,
    PRIMARY KEY  (fid),
    dmid          SMALLINT UNSIGNED NOT NULL,
    dkey           VARCHAR(255),
    UNIQUE dkey  (dmid, dkey),
    length        BIGINT UNSIGNED,
    classid       TINYINT UNSIGNED NOT NULL,
    devcount      TINYINT UNSIGNED NOT NULL,
    INDEX devcount (dmid,classid,devcount)
    )`,
  ],
  [
    "tempfile",
    `CREATE TABLE tempfile (
    fid          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    PRIMARY KEY  (fid),
    createtime   INT UNSIGNED NOT NULL,
    classid      TINYINT UNSIGNED NOT NULL,
    dmid          SMALLINT UNSIGNED NOT NULL,
    dkey           VARCHAR(255),
    devids       VARCHAR(60)
    )`,
  ],
  [
    "file_to_delete",
    `CREATE TABLE file_to_delete (
    fid  BIGINT UNSIGNED NOT NULL,
    PRIMARY KEY (fid)
    )`,
  ],
  [
    "unreachable_fids",
    `CREATE TABLE unreachable_fids (
    fid        BIGINT UNSIGNED NOT NULL,
    lastupdate INT UNSIGNED NOT NULL,
    PRIMARY KEY (fid),
    INDEX (lastupdate)
    )`,
  ],
  [
    "file_on",
    `CREATE TABLE file_on (
    fid          BIGINT UNSIGNED NOT NULL,
    devid        MEDIUMINT UNSIGNED NOT NULL,
    PRIMARY KEY (fid, devid),
    INDEX (devid)
    )`,
  ],
  [
    "file_on_corrupt",
    `CREATE TABLE file_on_corrupt (
    fid          BIGINT UNSIGNED NOT NULL,
    devid        MEDIUMINT UNSIGNED NOT NULL,
    PRIMARY KEY (fid, devid)
    )`,
  ],
  [
    "host",
    `CREATE TABLE host (
    hostid     MEDIUMINT UNSIGNED NOT NULL PRIMARY KEY,
    status     ENUM('alive','dead','down','readonly'),
    http_port  MEDIUMINT UNSIGNED DEFAULT 7500,
    http_get_port MEDIUMINT UNSIGNED,
    hostname   VARCHAR(40),
    hostip     VARCHAR(15),
    altip      VARCHAR(15),
    altmask    VARCHAR(18),
    UNIQUE     (hostname),
    UNIQUE     (hostip),
    UNIQUE     (altip)
    )`,
  ],
  [
    "device",
    `CREATE TABLE device (
    devid   MEDIUMINT UNSIGNED NOT NULL,
    hostid     MEDIUMINT UNSIGNED NOT NULL,
    status  ENUM('alive','dead','down','readonly','drain'),
    weight  MEDIUMINT DEFAULT 100,
    mb_total   INT UNSIGNED,
    mb_used    INT UNSIGNED,
    mb_asof    INT UNSIGNED,
    PRIMARY KEY (devid),
    INDEX   (status)
    )`,
  ],
  [
    "server_settings",
    `CREATE TABLE server_settings (
    field   VARCHAR(50) PRIMARY KEY,
    value   TEXT
    )`,
  ],
  [
    "file_to_replicate",
    `CREATE TABLE file_to_replicate (
    fid        BIGINT UNSIGNED NOT NULL PRIMARY KEY,
    nexttry    INT UNSIGNED NOT NULL,
    INDEX (nexttry),
    fromdevid  INT UNSIGNED,
    failcount  TINYINT UNSIGNED NOT NULL DEFAULT 0,
    flags      SMALLINT UNSIGNED NOT NULL DEFAULT 0
    )`,
  ],
  [
    "file_to_delete_later",
    `CREATE TABLE file_to_delete_later (
    fid  BIGINT UNSIGNED NOT NULL PRIMARY KEY,
    delafter INT UNSIGNED NOT NULL,
    INDEX (delafter)
    )`,
  ],
  [
    "fsck_log",
    `CREATE TABLE fsck_log (
    logid  INT UNSIGNED NOT NULL AUTO_INCREMENT,
    PRIMARY KEY (logid),
    utime  INT UNSIGNED NOT NULL,
    fid    BIGINT UNSIGNED NULL,
    evcode CHAR(4),
    devid  MEDIUMINT UNSIGNED,
    INDEX(utime)
    )`,
  ],
  [
    "file_to_queue",
    `CREATE TABLE file_to_queue (
    fid       BIGINT UNSIGNED NOT NULL,
    devid     INT UNSIGNED,
    type      TINYINT UNSIGNED NOT NULL,
    nexttry   INT UNSIGNED NOT NULL,
    failcount TINYINT UNSIGNED NOT NULL default '0',
    flags     SMALLINT UNSIGNED NOT NULL default '0',
    arg       TEXT,
    PRIMARY KEY (fid, type),
    INDEX type_nexttry (type,nexttry)
    )`,
  ],
  [
    "file_to_delete2",
    `CREATE TABLE file_to_delete2 (
    fid BIGINT UNSIGNED NOT NULL PRIMARY KEY,
    nexttry INT UNSIGNED NOT NULL,
    failcount TINYINT UNSIGNED NOT NULL default '0',
    INDEX nexttry (nexttry)
    )`,
  ],
  [
    "checksum",
    `CREATE TABLE checksum (
    fid BIGINT UNSIGNED NOT NULL PRIMARY KEY,
    hashtype TINYINT UNSIGNED NOT NULL,
    checksum VARBINARY(64) NOT NULL
    )`,
  ],
];

// The one column an upgrade step appends rather than the CREATE holding it.
const UPGRADES: Array<[string, string, string]> = [
  ["class", "replpolicy", "ALTER TABLE class ADD COLUMN replpolicy VARCHAR(255)"],
];

export const TABLE_NAMES = TABLES.map(([name]) => name);

// Creates what is missing, as mogdbsetup does; several trackers starting at once on
// one database serialize on a named lock so none sees a half-made schema.
export async function setupSchema(pool: Pool): Promise<void> {
  const conn = await pool.getConnection();
  try {
    await conn.query("SELECT GET_LOCK('mogilefs:schema', 60)");
    const [rows] = await conn.query("SHOW TABLES");
    const existing = new Set(
      (rows as Array<Record<string, string>>).map((r) => Object.values(r)[0]),
    );
    for (const [name, sql] of TABLES) {
      if (!existing.has(name)) {
        await conn.query(sql);
        await conn.query(`ALTER TABLE ${name} ENGINE=InnoDB`);
      }
    }
    for (const [table, column, sql] of UPGRADES) {
      const [cols] = await conn.query(`SHOW COLUMNS FROM ${table} LIKE '${column}'`);
      if ((cols as unknown[]).length === 0) {
        await conn.query(sql);
      }
    }
    const [version] = await conn.query(
      "SELECT value FROM server_settings WHERE field='schema_version'",
    );
    const current = (version as Array<{ value: string }>)[0]?.value;
    if (current !== undefined && Number(current) > SCHEMA_VERSION) {
      throw new Error(`schema version ${current} is newer than ${SCHEMA_VERSION}`);
    }
    await conn.query("REPLACE INTO server_settings (field, value) VALUES ('schema_version', ?)", [
      String(SCHEMA_VERSION),
    ]);
  } finally {
    await conn.query("SELECT RELEASE_LOCK('mogilefs:schema')").catch(() => undefined);
    conn.release();
  }
}
