import * as admin from "./admin";
import type { Handler } from "./context";
import * as files from "./files";

// Every command this tracker answers; anything else is `unknown_command`.
export const COMMANDS: Record<string, Handler> = {
  get_paths: files.getPaths,
  create_open: files.createOpen,
  create_close: files.createClose,
  delete: files.deleteKey,
  file_info: files.fileInfo,
  list_keys: files.listKeys,
  rename: files.rename,
  updateclass: files.updateClass,
  noop: files.noop,
  create_domain: admin.createDomain,
  delete_domain: admin.deleteDomain,
  create_class: admin.createClass,
  update_class: admin.updateClassAdmin,
  delete_class: admin.deleteClass,
  create_host: admin.createHost,
  update_host: admin.updateHost,
  delete_host: admin.deleteHost,
  create_device: admin.createDevice,
  set_state: admin.setState,
  set_weight: admin.setWeight,
  get_domains: admin.getDomains,
  get_hosts: admin.getHosts,
  get_devices: admin.getDevices,
  clear_cache: admin.clearCache,
  replicate_now: admin.replicateNow,
};
