// An nginx variable as a string: "" when it is not set (njs gives undefined).
export function variable(r: NginxHTTPRequest, name: string): string {
  const value = r.variables[name];
  return value === undefined ? "" : String(value);
}
