/** Stylesheets imported for their effect: esbuild bundles them into dashboard.css. */
declare module '*.css';
